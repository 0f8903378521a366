# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_omero_iis_global_optspecs
    string join \n color= h/help V/version
end

function __fish_omero_iis_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_omero_iis_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_omero_iis_using_subcommand
    set -l cmd (__fish_omero_iis_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c omero-iis -n "__fish_omero_iis_needs_command" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_needs_command" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -s V -l version -d 'Print version'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "validate" -d 'Check OMERO.web settings for the chosen IIS deployment'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "gen" -d 'Generate web.config files, an applicationHost.config fragment and install scripts'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "check" -d 'Check web.config, applicationHost.config, .cmd and .ps1 files offline'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "review" -d 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "man" -d 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "settings" -d 'Show the effective OMERO properties with where each value came from'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "explain" -d 'Explain a rule code (OW001...), or list them all'
complete -c omero-iis -n "__fish_omero_iis_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and not __fish_seen_subcommand_from settings help" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and not __fish_seen_subcommand_from settings help" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and not __fish_seen_subcommand_from settings help" -f -a "settings" -d 'Validate an OMERO.web property set'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and not __fish_seen_subcommand_from settings help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l input-format -d 'Force the format of every INPUT instead of detecting it' -r -f -a "config-xml\t'`etc/grid/config.xml` (`<icegrid>` with `<properties>` profiles)'
properties\t'`omero config load` files and `omero config get` output (`key=value` lines)'
json\t'A JSON object of `"omero.web.x": value`'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l profile -d 'Read this config.xml profile instead of the active one (__ACTIVE__)' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l set -d 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l mode -d 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]' -r -f -a "isapi-wsgi\t'OMERO.web inside IIS through the ISAPI-WSGI DLL (the documented OMERO 5.0.3–5.2 deployment)'
reverse-proxy\t'IIS as a reverse proxy (URL Rewrite + ARR) in front of OMERO.web under Gunicorn on another host: the IIS twin of `omero web config nginx` (current OMERO)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l omero-version -d 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l deploy -d 'TOML file with the options below (keys as the flag names); flags win' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l site -d 'IIS site [default: Default Web Site]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l pool -d 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l omero-home -d 'OMERO.server folder on the Windows server [default: C:\\OMERO.server]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l app-dir -d 'Folder of the OMERO.web application (holds its web.config) [default: C:\\inetpub\\<pool>]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l isapi-dll -d 'ISAPI-WSGI DLL [default: <omero-home>\\lib\\python\\_omero_web_iis.dll]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l isapi-loader -d 'pywin32\'s loader, copied to --isapi-dll when that is missing [default: C:\\Python27\\Lib\\site-packages\\isapi\\PyISAPI_loader.dll]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l python -d 'Python that runs the omero command [default: C:\\Python27\\python.exe]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l static-root -d 'Static files folder [default: omero.web.static_root, else <omero-home>\\lib\\python\\omeroweb\\static]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l acl-principal -d 'Account granted access to var\\log and config.xml [default: IIS AppPool\\<pool>]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l bitness -d 'Bitness of Python and pywin32: 64 or 32 [default: 64]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l max-body-size -d 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l backend -d 'reverse-proxy: Gunicorn\'s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l format -d 'Output format' -r -f -a "text\t''
json\t''
sarif\t'SARIF 2.1.0 (GitHub code scanning, other SARIF viewers)'
github\t'GitHub Actions workflow commands (`::error file=...::message`)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l deny -d 'Fail (exit 1) on errors only, or on warnings too' -r -f -a "errors\t'Errors fail the run; warnings are reported only'
warnings\t'Warnings fail the run too'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l env -d 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -l https -d 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from settings" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from help" -f -a "settings" -d 'Validate an OMERO.web property set'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand validate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l input-format -d 'Force the format of every INPUT instead of detecting it' -r -f -a "config-xml\t'`etc/grid/config.xml` (`<icegrid>` with `<properties>` profiles)'
properties\t'`omero config load` files and `omero config get` output (`key=value` lines)'
json\t'A JSON object of `"omero.web.x": value`'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l profile -d 'Read this config.xml profile instead of the active one (__ACTIVE__)' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l set -d 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l mode -d 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]' -r -f -a "isapi-wsgi\t'OMERO.web inside IIS through the ISAPI-WSGI DLL (the documented OMERO 5.0.3–5.2 deployment)'
reverse-proxy\t'IIS as a reverse proxy (URL Rewrite + ARR) in front of OMERO.web under Gunicorn on another host: the IIS twin of `omero web config nginx` (current OMERO)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l omero-version -d 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l deploy -d 'TOML file with the options below (keys as the flag names); flags win' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l site -d 'IIS site [default: Default Web Site]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l pool -d 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l omero-home -d 'OMERO.server folder on the Windows server [default: C:\\OMERO.server]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l app-dir -d 'Folder of the OMERO.web application (holds its web.config) [default: C:\\inetpub\\<pool>]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l isapi-dll -d 'ISAPI-WSGI DLL [default: <omero-home>\\lib\\python\\_omero_web_iis.dll]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l isapi-loader -d 'pywin32\'s loader, copied to --isapi-dll when that is missing [default: C:\\Python27\\Lib\\site-packages\\isapi\\PyISAPI_loader.dll]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l python -d 'Python that runs the omero command [default: C:\\Python27\\python.exe]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l static-root -d 'Static files folder [default: omero.web.static_root, else <omero-home>\\lib\\python\\omeroweb\\static]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l acl-principal -d 'Account granted access to var\\log and config.xml [default: IIS AppPool\\<pool>]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l bitness -d 'Bitness of Python and pywin32: 64 or 32 [default: 64]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l max-body-size -d 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l backend -d 'reverse-proxy: Gunicorn\'s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -s o -l output -d 'Output folder' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l file -d 'Only this one of the files, e.g. `web/web.config` (`gen web.config --stdout --file web/web.config > web.config` gives one valid file)' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l shell -d 'Which install/uninstall scripts to write: cmd (appcmd), powershell (WebAdministration) or both' -r -f -a "cmd\t'`install.cmd` and `uninstall.cmd` (appcmd)'
powershell\t'`install.ps1` and `uninstall.ps1` (WebAdministration module)'
both\t'Both pairs'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l templates -d 'Folder with template overrides (e.g. isapi-wsgi/install.cmd.jinja)' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l deny -d 'Refuse to generate on errors only, or on warnings too' -r -f -a "errors\t'Errors fail the run; warnings are reported only'
warnings\t'Warnings fail the run too'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l env -d 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l https -d 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l force -d 'Replace files that already exist'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -l stdout -d 'Print the files to standard output instead (several files are separated by `==> path <==` lines; --file picks one)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand gen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l kind -d 'Treat every FILE as this kind instead of detecting it' -r -f -a "web.config\t'A web.config (site, application or folder level)'
apphost\t'A complete applicationHost.config'
fragment\t'A piece of applicationHost.config: a `<location>`, a section, or `<configuration>` without `<configSections>`'
cmd\t'A cmd.exe batch file (.cmd, .bat)'
ps1\t'A PowerShell script (.ps1)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l apphost -d 'The target server\'s applicationHost.config: its <configSections> and <location> blocks decide what is locked' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l schema -d 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server\'s %windir%\\system32\\inetsrv\\config\\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l format -d 'Output format' -r -f -a "text\t''
json\t''
sarif\t'SARIF 2.1.0 (GitHub code scanning, other SARIF viewers)'
github\t'GitHub Actions workflow commands (`::error file=...::message`)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l deny -d 'Fail (exit 1) on errors only, or on warnings too' -r -f -a "errors\t'Errors fail the run; warnings are reported only'
warnings\t'Warnings fail the run too'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l allow -d 'Do not report this rule (code or name); repeatable' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l apphost -d 'The server\'s applicationHost.config (default: a built-in IIS 10 default configuration)' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l schema -d 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server\'s %windir%\\system32\\inetsrv\\config\\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l site-root -d 'A local copy of a server folder, `WINDOWS-FOLDER=LOCAL-FOLDER` (web.config files below it are read and changed); a LOCAL-FOLDER alone stands for the Default Web Site\'s root folder' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l missing -d 'A Windows path that does not exist on the server (otherwise paths the review cannot see are assumed to exist)' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l script-folder -d 'The Windows folder the scripts are run from (what %~dp0 and $PSScriptRoot give); their local folder stands for it' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l arg -d 'An argument every script is run with (%1, %2, ... in order; a .ps1\'s param() block binds it), e.g. --arg /takeover, --arg -TakeOver, --arg -WhatIf' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l format -d 'Output: the steps in plain words with findings, a unified diff of the changed files, JSON, or the findings alone as SARIF or GitHub annotations' -r -f -a "text\t'Conflicts, each step with what it changes, where a script stops, findings'
diff\t'A unified diff of applicationHost.config and every other changed file'
json\t'Every step with its arguments, exit code and changed paths; the findings; a summary'
sarif\t'The findings as SARIF 2.1.0 (GitHub code scanning, other SARIF viewers)'
github\t'The findings as GitHub Actions workflow commands (`::error file=...::message`)'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -s o -l output -d 'Write applicationHost.config as the scripts leave it to FILE' -r -F
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l deny -d 'Fail (exit 1) when a script fails (errors), or on warnings too' -r -f -a "errors\t'Errors fail the run; warnings are reported only'
warnings\t'Warnings fail the run too'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l allow -d 'Do not report this rule (code or name); repeatable' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -l force -d 'Replace FILE if it exists'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand review" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand completions" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand completions" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand man" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand man" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and not __fish_seen_subcommand_from show help" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'Print the effective property set (`omero config get` with provenance)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l input-format -d 'Force the format of every INPUT instead of detecting it' -r -f -a "config-xml\t'`etc/grid/config.xml` (`<icegrid>` with `<properties>` profiles)'
properties\t'`omero config load` files and `omero config get` output (`key=value` lines)'
json\t'A JSON object of `"omero.web.x": value`'"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l profile -d 'Read this config.xml profile instead of the active one (__ACTIVE__)' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l set -d 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "text\t'`omero config get` lines with `# file:line:col` comments'
json\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l omero-version -d 'With --defaults: the properties and defaults of this OMERO (omero-web) version, X.Y[.Z] [default: the newest known]' -r
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l env -d 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l show-password -d 'Print passwords and the secret key instead of ********'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -l defaults -d 'Also list the OMERO.web properties that are not set, with their defaults'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective property set (`omero config get` with provenance)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand explain" -l color -d 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb' -r -f -a "auto\t''
always\t''
never\t''"
complete -c omero-iis -n "__fish_omero_iis_using_subcommand explain" -l list -d 'List every rule with its severity and title'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand explain" -s h -l help -d 'Print help'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "validate" -d 'Check OMERO.web settings for the chosen IIS deployment'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "gen" -d 'Generate web.config files, an applicationHost.config fragment and install scripts'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "check" -d 'Check web.config, applicationHost.config, .cmd and .ps1 files offline'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "review" -d 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "man" -d 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "settings" -d 'Show the effective OMERO properties with where each value came from'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "explain" -d 'Explain a rule code (OW001...), or list them all'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and not __fish_seen_subcommand_from validate gen check review completions man settings explain help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and __fish_seen_subcommand_from validate" -f -a "settings" -d 'Validate an OMERO.web property set'
complete -c omero-iis -n "__fish_omero_iis_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "show" -d 'Print the effective property set (`omero config get` with provenance)'
