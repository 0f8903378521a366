"""`omero iis`: the omero-iis program as a command of the OMERO command line.

The `omero-iis` pip package installs this file as
site-packages/omero/plugins/iis.py, beside the omero-iis binary it runs.
OMERO's command line finds it there: `CLI.loadplugins` looks for an
`omero/plugins` folder in every `sys.path` entry (omero-py's own plugin
folder among them) and runs each `*.py` file in it with `exec`, giving it a
`register` function (omero-py, src/omero/cli.py, `CLI.loadplugins` and
`CLI.loadpath`). So the file is run, not imported: it has no `__file__`, and
the package ships no `omero/__init__.py` or `omero/plugins/__init__.py`
(those are omero-py's). See docs/python.md.

Every argument after `omero iis` goes to the binary unchanged, in the same
environment, and the binary's exit code becomes the exit code of `omero`.
The binary itself reads `$OMERODIR/etc/grid/config.xml` when `validate
settings`, `gen` or `settings show` is given no settings file.
"""

import os
import subprocess
import sys

from omero.cli import BaseControl

# The help of `omero iis -h`, and its line in `omero help --list`. argparse
# formats it, so it must not hold a percent sign.
HELP = """Validate OMERO.web settings and write the IIS configuration for them

Runs the omero-iis program installed with this plugin (pip install
omero-iis) with every argument given. `omero iis help` lists its commands
and `omero iis COMMAND --help` describes one.

Without a settings file, `validate settings`, `gen TARGET` and `settings show`
read the server's own $OMERODIR/etc/grid/config.xml if it exists.

Examples:

    omero iis validate settings
    omero iis gen all --omero-home 'C:\\OMERO.server' -o omero-iis-out
    omero iis check omero-iis-out
    omero iis review omero-iis-out/install.cmd --format diff
    omero iis settings show --format json
    omero iis explain OW021

The exit code is omero-iis's: 0 no errors, 1 findings at or above --deny,
2 usage, I/O or parse failure.
"""

PROGRAM = "omero-iis"


def installed_program():
    """The omero-iis binary of the installed omero-iis package, or None.

    Looked for, in order: among the files pip recorded for the omero-iis
    distribution (wherever it was installed: a virtual environment,
    `--user`, `--prefix`); in the scripts folders of this Python and beside
    its executable; on PATH."""
    names = (PROGRAM, PROGRAM + ".exe")
    try:
        from importlib import metadata

        for file in metadata.distribution("omero-iis").files or []:
            if file.name in names:
                path = os.path.abspath(str(file.locate()))
                if os.path.isfile(path):
                    return path
    except Exception:  # no such distribution, or no RECORD: look further
        pass
    import shutil
    import sysconfig

    folders = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    try:
        user_scheme = sysconfig.get_preferred_scheme("user")  # Python 3.10+
    except AttributeError:
        user_scheme = "nt_user" if os.name == "nt" else "posix_user"
    try:
        folders.append(sysconfig.get_path("scripts", user_scheme))
    except KeyError:
        pass
    for folder in folders:
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    return shutil.which(PROGRAM)


class IisControl(BaseControl):
    def _configure(self, parser):
        # The binary's own options that may come before its command are
        # declared here, as argparse refuses unknown options before the
        # first positional argument (`omero iis --version`).
        parser.add_argument(
            "--color",
            metavar="WHEN",
            help="omero-iis's --color: auto, always or never",
        )
        parser.add_argument(
            "-V",
            "--version",
            action="store_true",
            help="omero-iis's version",
        )
        parser.add_argument(
            "arguments",
            nargs="...",  # argparse.REMAINDER: all that follows, options too
            metavar="COMMAND [ARGUMENTS]",
            help="an omero-iis command and its arguments",
        )
        parser.set_defaults(func=self.__call__)

    def __call__(self, args):
        program = installed_program()
        if program is None:
            # CLI.die prints the message and sets the exit code (omero-py,
            # src/omero/cli.py, `CLI.die`).
            self.ctx.die(
                2,
                "omero iis: the omero-iis program was not found beside this "
                "Python (%s) or on PATH; install it with: %s -m pip install "
                "omero-iis" % (sys.executable, sys.executable),
            )
        argv = [program]
        if args.color is not None:
            argv += ["--color", args.color]
        if args.version:
            argv.append("--version")
        rest = list(args.arguments)
        if rest[:1] == ["--"]:
            rest = rest[1:]
        argv += rest
        sys.stdout.flush()
        sys.stderr.flush()
        code = subprocess.call(argv)
        # The CLI returns `rv` as the exit code of `omero`, as omero-py's
        # import and admin plugins set it from their child processes. A
        # signal ends the binary with a negative code here; a shell would
        # say 128 + the signal's number.
        self.ctx.rv = code if code >= 0 else 128 - code


try:
    register("iis", IisControl, HELP)  # noqa: F821 (given by CLI.loadpath)
except NameError:
    if __name__ == "__main__":
        from omero.cli import CLI

        cli = CLI()
        cli.register("iis", IisControl, HELP)
        cli.invoke(["iis"] + sys.argv[1:])
        sys.exit(cli.rv)
