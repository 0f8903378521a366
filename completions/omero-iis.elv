
use builtin;
use str;

set edit:completion:arg-completer[omero-iis] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'omero-iis'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'omero-iis'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check OMERO.web settings for the chosen IIS deployment'
            cand gen 'Generate web.config files, an applicationHost.config fragment and install scripts'
            cand check 'Check web.config, applicationHost.config, .cmd and .ps1 files offline'
            cand review 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`'
            cand settings 'Show the effective OMERO properties with where each value came from'
            cand explain 'Explain a rule code (OW001...), or list them all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;validate'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help'
            cand --help 'Print help'
            cand settings 'Validate an OMERO.web property set'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;validate;settings'= {
            cand --input-format 'Force the format of every INPUT instead of detecting it'
            cand --profile 'Read this config.xml profile instead of the active one (__ACTIVE__)'
            cand --set 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable'
            cand --mode 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]'
            cand --omero-version 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]'
            cand --deploy 'TOML file with the options below (keys as the flag names); flags win'
            cand --site 'IIS site [default: Default Web Site]'
            cand --pool 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]'
            cand --omero-home 'OMERO.server folder on the Windows server [default: C:\OMERO.server]'
            cand --app-dir 'Folder of the OMERO.web application (holds its web.config) [default: C:\inetpub\<pool>]'
            cand --isapi-dll 'ISAPI-WSGI DLL [default: <omero-home>\lib\python\_omero_web_iis.dll]'
            cand --isapi-loader 'pywin32''s loader, copied to --isapi-dll when that is missing [default: C:\Python27\Lib\site-packages\isapi\PyISAPI_loader.dll]'
            cand --python 'Python that runs the omero command [default: C:\Python27\python.exe]'
            cand --static-root 'Static files folder [default: omero.web.static_root, else <omero-home>\lib\python\omeroweb\static]'
            cand --acl-principal 'Account granted access to var\log and config.xml [default: IIS AppPool\<pool>]'
            cand --bitness 'Bitness of Python and pywin32: 64 or 32 [default: 64]'
            cand --max-body-size 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]'
            cand --backend 'reverse-proxy: Gunicorn''s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]'
            cand --format 'Output format'
            cand --deny 'Fail (exit 1) on errors only, or on warnings too'
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand --env 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
            cand --https 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'omero-iis;validate;help'= {
            cand settings 'Validate an OMERO.web property set'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;validate;help;settings'= {
        }
        &'omero-iis;validate;help;help'= {
        }
        &'omero-iis;gen'= {
            cand --input-format 'Force the format of every INPUT instead of detecting it'
            cand --profile 'Read this config.xml profile instead of the active one (__ACTIVE__)'
            cand --set 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable'
            cand --mode 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]'
            cand --omero-version 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]'
            cand --deploy 'TOML file with the options below (keys as the flag names); flags win'
            cand --site 'IIS site [default: Default Web Site]'
            cand --pool 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]'
            cand --omero-home 'OMERO.server folder on the Windows server [default: C:\OMERO.server]'
            cand --app-dir 'Folder of the OMERO.web application (holds its web.config) [default: C:\inetpub\<pool>]'
            cand --isapi-dll 'ISAPI-WSGI DLL [default: <omero-home>\lib\python\_omero_web_iis.dll]'
            cand --isapi-loader 'pywin32''s loader, copied to --isapi-dll when that is missing [default: C:\Python27\Lib\site-packages\isapi\PyISAPI_loader.dll]'
            cand --python 'Python that runs the omero command [default: C:\Python27\python.exe]'
            cand --static-root 'Static files folder [default: omero.web.static_root, else <omero-home>\lib\python\omeroweb\static]'
            cand --acl-principal 'Account granted access to var\log and config.xml [default: IIS AppPool\<pool>]'
            cand --bitness 'Bitness of Python and pywin32: 64 or 32 [default: 64]'
            cand --max-body-size 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]'
            cand --backend 'reverse-proxy: Gunicorn''s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]'
            cand -o 'Output folder'
            cand --output 'Output folder'
            cand --file 'Only this one of the files, e.g. `web/web.config` (`gen web.config --stdout --file web/web.config > web.config` gives one valid file)'
            cand --shell 'Which install/uninstall scripts to write: cmd (appcmd), powershell (WebAdministration) or both'
            cand --templates 'Folder with template overrides (e.g. isapi-wsgi/install.cmd.jinja)'
            cand --deny 'Refuse to generate on errors only, or on warnings too'
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand --env 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
            cand --https 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings'
            cand --force 'Replace files that already exist'
            cand --stdout 'Print the files to standard output instead (several files are separated by `==> path <==` lines; --file picks one)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'omero-iis;check'= {
            cand --kind 'Treat every FILE as this kind instead of detecting it'
            cand --apphost 'The target server''s applicationHost.config: its <configSections> and <location> blocks decide what is locked'
            cand --schema 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server''s %windir%\system32\inetsrv\config\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)'
            cand --format 'Output format'
            cand --deny 'Fail (exit 1) on errors only, or on warnings too'
            cand --allow 'Do not report this rule (code or name); repeatable'
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'omero-iis;review'= {
            cand --apphost 'The server''s applicationHost.config (default: a built-in IIS 10 default configuration)'
            cand --schema 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server''s %windir%\system32\inetsrv\config\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)'
            cand --site-root 'A local copy of a server folder, `WINDOWS-FOLDER=LOCAL-FOLDER` (web.config files below it are read and changed); a LOCAL-FOLDER alone stands for the Default Web Site''s root folder'
            cand --missing 'A Windows path that does not exist on the server (otherwise paths the review cannot see are assumed to exist)'
            cand --script-folder 'The Windows folder the scripts are run from (what %~dp0 and $PSScriptRoot give); their local folder stands for it'
            cand --arg 'An argument every script is run with (%1, %2, ... in order; a .ps1''s param() block binds it), e.g. --arg /takeover, --arg -TakeOver, --arg -WhatIf'
            cand --format 'Output: the steps in plain words with findings, a unified diff of the changed files, JSON, or the findings alone as SARIF or GitHub annotations'
            cand -o 'Write applicationHost.config as the scripts leave it to FILE'
            cand --output 'Write applicationHost.config as the scripts leave it to FILE'
            cand --deny 'Fail (exit 1) when a script fails (errors), or on warnings too'
            cand --allow 'Do not report this rule (code or name); repeatable'
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand --force 'Replace FILE if it exists'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'omero-iis;completions'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'omero-iis;man'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'omero-iis;settings'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand -h 'Print help'
            cand --help 'Print help'
            cand show 'Print the effective property set (`omero config get` with provenance)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;settings;show'= {
            cand --input-format 'Force the format of every INPUT instead of detecting it'
            cand --profile 'Read this config.xml profile instead of the active one (__ACTIVE__)'
            cand --set 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable'
            cand --format 'Output format'
            cand --omero-version 'With --defaults: the properties and defaults of this OMERO (omero-web) version, X.Y[.Z] [default: the newest known]'
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand --env 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
            cand --show-password 'Print passwords and the secret key instead of ********'
            cand --defaults 'Also list the OMERO.web properties that are not set, with their defaults'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'omero-iis;settings;help'= {
            cand show 'Print the effective property set (`omero config get` with provenance)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;settings;help;show'= {
        }
        &'omero-iis;settings;help;help'= {
        }
        &'omero-iis;explain'= {
            cand --color 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb'
            cand --list 'List every rule with its severity and title'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'omero-iis;help'= {
            cand validate 'Check OMERO.web settings for the chosen IIS deployment'
            cand gen 'Generate web.config files, an applicationHost.config fragment and install scripts'
            cand check 'Check web.config, applicationHost.config, .cmd and .ps1 files offline'
            cand review 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand man 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`'
            cand settings 'Show the effective OMERO properties with where each value came from'
            cand explain 'Explain a rule code (OW001...), or list them all'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'omero-iis;help;validate'= {
            cand settings 'Validate an OMERO.web property set'
        }
        &'omero-iis;help;validate;settings'= {
        }
        &'omero-iis;help;gen'= {
        }
        &'omero-iis;help;check'= {
        }
        &'omero-iis;help;review'= {
        }
        &'omero-iis;help;completions'= {
        }
        &'omero-iis;help;man'= {
        }
        &'omero-iis;help;settings'= {
            cand show 'Print the effective property set (`omero config get` with provenance)'
        }
        &'omero-iis;help;settings;show'= {
        }
        &'omero-iis;help;explain'= {
        }
        &'omero-iis;help;help'= {
        }
    ]
    $completions[$command]
}
