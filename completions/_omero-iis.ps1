
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'omero-iis' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'omero-iis'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'omero-iis' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check OMERO.web settings for the chosen IIS deployment')
            [CompletionResult]::new('gen', 'gen', [CompletionResultType]::ParameterValue, 'Generate web.config files, an applicationHost.config fragment and install scripts')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check web.config, applicationHost.config, .cmd and .ps1 files offline')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`')
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Show the effective OMERO properties with where each value came from')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a rule code (OW001...), or list them all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;validate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Validate an OMERO.web property set')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;validate;settings' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Force the format of every INPUT instead of detecting it')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read this config.xml profile instead of the active one (__ACTIVE__)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]')
            [CompletionResult]::new('--omero-version', '--omero-version', [CompletionResultType]::ParameterName, 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]')
            [CompletionResult]::new('--deploy', '--deploy', [CompletionResultType]::ParameterName, 'TOML file with the options below (keys as the flag names); flags win')
            [CompletionResult]::new('--site', '--site', [CompletionResultType]::ParameterName, 'IIS site [default: Default Web Site]')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]')
            [CompletionResult]::new('--omero-home', '--omero-home', [CompletionResultType]::ParameterName, 'OMERO.server folder on the Windows server [default: C:\OMERO.server]')
            [CompletionResult]::new('--app-dir', '--app-dir', [CompletionResultType]::ParameterName, 'Folder of the OMERO.web application (holds its web.config) [default: C:\inetpub\<pool>]')
            [CompletionResult]::new('--isapi-dll', '--isapi-dll', [CompletionResultType]::ParameterName, 'ISAPI-WSGI DLL [default: <omero-home>\lib\python\_omero_web_iis.dll]')
            [CompletionResult]::new('--isapi-loader', '--isapi-loader', [CompletionResultType]::ParameterName, 'pywin32''s loader, copied to --isapi-dll when that is missing [default: C:\Python27\Lib\site-packages\isapi\PyISAPI_loader.dll]')
            [CompletionResult]::new('--python', '--python', [CompletionResultType]::ParameterName, 'Python that runs the omero command [default: C:\Python27\python.exe]')
            [CompletionResult]::new('--static-root', '--static-root', [CompletionResultType]::ParameterName, 'Static files folder [default: omero.web.static_root, else <omero-home>\lib\python\omeroweb\static]')
            [CompletionResult]::new('--acl-principal', '--acl-principal', [CompletionResultType]::ParameterName, 'Account granted access to var\log and config.xml [default: IIS AppPool\<pool>]')
            [CompletionResult]::new('--bitness', '--bitness', [CompletionResultType]::ParameterName, 'Bitness of Python and pywin32: 64 or 32 [default: 64]')
            [CompletionResult]::new('--max-body-size', '--max-body-size', [CompletionResultType]::ParameterName, 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'reverse-proxy: Gunicorn''s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--deny', '--deny', [CompletionResultType]::ParameterName, 'Fail (exit 1) on errors only, or on warnings too')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs')
            [CompletionResult]::new('--https', '--https', [CompletionResultType]::ParameterName, 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'omero-iis;validate;help' {
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Validate an OMERO.web property set')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;validate;help;settings' {
            break
        }
        'omero-iis;validate;help;help' {
            break
        }
        'omero-iis;gen' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Force the format of every INPUT instead of detecting it')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read this config.xml profile instead of the active one (__ACTIVE__)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]')
            [CompletionResult]::new('--omero-version', '--omero-version', [CompletionResultType]::ParameterName, 'The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for isapi-wsgi, the newest known for reverse-proxy]')
            [CompletionResult]::new('--deploy', '--deploy', [CompletionResultType]::ParameterName, 'TOML file with the options below (keys as the flag names); flags win')
            [CompletionResult]::new('--site', '--site', [CompletionResultType]::ParameterName, 'IIS site [default: Default Web Site]')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]')
            [CompletionResult]::new('--omero-home', '--omero-home', [CompletionResultType]::ParameterName, 'OMERO.server folder on the Windows server [default: C:\OMERO.server]')
            [CompletionResult]::new('--app-dir', '--app-dir', [CompletionResultType]::ParameterName, 'Folder of the OMERO.web application (holds its web.config) [default: C:\inetpub\<pool>]')
            [CompletionResult]::new('--isapi-dll', '--isapi-dll', [CompletionResultType]::ParameterName, 'ISAPI-WSGI DLL [default: <omero-home>\lib\python\_omero_web_iis.dll]')
            [CompletionResult]::new('--isapi-loader', '--isapi-loader', [CompletionResultType]::ParameterName, 'pywin32''s loader, copied to --isapi-dll when that is missing [default: C:\Python27\Lib\site-packages\isapi\PyISAPI_loader.dll]')
            [CompletionResult]::new('--python', '--python', [CompletionResultType]::ParameterName, 'Python that runs the omero command [default: C:\Python27\python.exe]')
            [CompletionResult]::new('--static-root', '--static-root', [CompletionResultType]::ParameterName, 'Static files folder [default: omero.web.static_root, else <omero-home>\lib\python\omeroweb\static]')
            [CompletionResult]::new('--acl-principal', '--acl-principal', [CompletionResultType]::ParameterName, 'Account granted access to var\log and config.xml [default: IIS AppPool\<pool>]')
            [CompletionResult]::new('--bitness', '--bitness', [CompletionResultType]::ParameterName, 'Bitness of Python and pywin32: 64 or 32 [default: 64]')
            [CompletionResult]::new('--max-body-size', '--max-body-size', [CompletionResultType]::ParameterName, 'Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]')
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'reverse-proxy: Gunicorn''s address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output folder')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output folder')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Only this one of the files, e.g. `web/web.config` (`gen web.config --stdout --file web/web.config > web.config` gives one valid file)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Which install/uninstall scripts to write: cmd (appcmd), powershell (WebAdministration) or both')
            [CompletionResult]::new('--templates', '--templates', [CompletionResultType]::ParameterName, 'Folder with template overrides (e.g. isapi-wsgi/install.cmd.jinja)')
            [CompletionResult]::new('--deny', '--deny', [CompletionResultType]::ParameterName, 'Refuse to generate on errors only, or on warnings too')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs')
            [CompletionResult]::new('--https', '--https', [CompletionResultType]::ParameterName, 'reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files that already exist')
            [CompletionResult]::new('--stdout', '--stdout', [CompletionResultType]::ParameterName, 'Print the files to standard output instead (several files are separated by `==> path <==` lines; --file picks one)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'omero-iis;check' {
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Treat every FILE as this kind instead of detecting it')
            [CompletionResult]::new('--apphost', '--apphost', [CompletionResultType]::ParameterName, 'The target server''s applicationHost.config: its <configSections> and <location> blocks decide what is locked')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server''s %windir%\system32\inetsrv\config\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--deny', '--deny', [CompletionResultType]::ParameterName, 'Fail (exit 1) on errors only, or on warnings too')
            [CompletionResult]::new('--allow', '--allow', [CompletionResultType]::ParameterName, 'Do not report this rule (code or name); repeatable')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'omero-iis;review' {
            [CompletionResult]::new('--apphost', '--apphost', [CompletionResultType]::ParameterName, 'The server''s applicationHost.config (default: a built-in IIS 10 default configuration)')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server''s %windir%\system32\inetsrv\config\schema: the sections they describe are checked against them instead of the built-in tables (default on an IIS server: its own folder)')
            [CompletionResult]::new('--site-root', '--site-root', [CompletionResultType]::ParameterName, 'A local copy of a server folder, `WINDOWS-FOLDER=LOCAL-FOLDER` (web.config files below it are read and changed); a LOCAL-FOLDER alone stands for the Default Web Site''s root folder')
            [CompletionResult]::new('--missing', '--missing', [CompletionResultType]::ParameterName, 'A Windows path that does not exist on the server (otherwise paths the review cannot see are assumed to exist)')
            [CompletionResult]::new('--script-folder', '--script-folder', [CompletionResultType]::ParameterName, 'The Windows folder the scripts are run from (what %~dp0 and $PSScriptRoot give); their local folder stands for it')
            [CompletionResult]::new('--arg', '--arg', [CompletionResultType]::ParameterName, 'An argument every script is run with (%1, %2, ... in order; a .ps1''s param() block binds it), e.g. --arg /takeover, --arg -TakeOver, --arg -WhatIf')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output: the steps in plain words with findings, a unified diff of the changed files, JSON, or the findings alone as SARIF or GitHub annotations')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write applicationHost.config as the scripts leave it to FILE')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write applicationHost.config as the scripts leave it to FILE')
            [CompletionResult]::new('--deny', '--deny', [CompletionResultType]::ParameterName, 'Fail (exit 1) when a script fails (errors), or on warnings too')
            [CompletionResult]::new('--allow', '--allow', [CompletionResultType]::ParameterName, 'Do not report this rule (code or name); repeatable')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace FILE if it exists')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'omero-iis;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'omero-iis;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'omero-iis;settings' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective property set (`omero config get` with provenance)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;settings;show' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Force the format of every INPUT instead of detecting it')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read this config.xml profile instead of the active one (__ACTIVE__)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--omero-version', '--omero-version', [CompletionResultType]::ParameterName, 'With --defaults: the properties and defaults of this OMERO (omero-web) version, X.Y[.Z] [default: the newest known]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs')
            [CompletionResult]::new('--show-password', '--show-password', [CompletionResultType]::ParameterName, 'Print passwords and the secret key instead of ********')
            [CompletionResult]::new('--defaults', '--defaults', [CompletionResultType]::ParameterName, 'Also list the OMERO.web properties that are not set, with their defaults')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'omero-iis;settings;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective property set (`omero config get` with provenance)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;settings;help;show' {
            break
        }
        'omero-iis;settings;help;help' {
            break
        }
        'omero-iis;explain' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour: `auto` colours a report when the stream it goes to is a terminal, and honours NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List every rule with its severity and title')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'omero-iis;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check OMERO.web settings for the chosen IIS deployment')
            [CompletionResult]::new('gen', 'gen', [CompletionResultType]::ParameterValue, 'Generate web.config files, an applicationHost.config fragment and install scripts')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check web.config, applicationHost.config, .cmd and .ps1 files offline')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`')
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Show the effective OMERO properties with where each value came from')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a rule code (OW001...), or list them all')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'omero-iis;help;validate' {
            [CompletionResult]::new('settings', 'settings', [CompletionResultType]::ParameterValue, 'Validate an OMERO.web property set')
            break
        }
        'omero-iis;help;validate;settings' {
            break
        }
        'omero-iis;help;gen' {
            break
        }
        'omero-iis;help;check' {
            break
        }
        'omero-iis;help;review' {
            break
        }
        'omero-iis;help;completions' {
            break
        }
        'omero-iis;help;man' {
            break
        }
        'omero-iis;help;settings' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the effective property set (`omero config get` with provenance)')
            break
        }
        'omero-iis;help;settings;show' {
            break
        }
        'omero-iis;help;explain' {
            break
        }
        'omero-iis;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
