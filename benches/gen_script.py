#!/usr/bin/env python3
"""Writes a batch script of N appcmd commands (default 1000) for the sites
that gen_apphost.py makes (site00000.example.org, ...): pools, applications,
virtual directory changes, section edits and unlocks, each checked.

Usage: gen_script.py OUTPUT [N]
"""
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
lines = ["@echo off", "setlocal", 'set "A=%windir%\\system32\\inetsrv\\appcmd.exe"']
kinds = [
    lambda i: f'"%A%" add apppool /name:"bench{i}" /managedRuntimeVersion:"" /processModel.idleTimeout:00:00:00',
    lambda i: f'"%A%" add app /site.name:"site{i:05d}.example.org" /path:"/bench" /physicalPath:"D:\\bench\\{i}"',
    lambda i: f'"%A%" set app "site{i:05d}.example.org/bench" /applicationPool:"bench{i}"',
    lambda i: f'"%A%" set config "site{i:05d}.example.org/bench" -section:system.webServer/handlers /+"[name=\'bench\',path=\'*\',verb=\'*\',modules=\'IsapiModule\',scriptProcessor=\'D:\\bench\\{i}.dll\']" /commit:apphost',
]
count = 0
i = 0
while count < n:
    for kind in kinds:
        if count == n:
            break
        lines.append(kind(i))
        lines.append("if errorlevel 1 exit /b 1")
        count += 1
    i += 1
lines.append("exit /b 0")
with open(out, "w", newline="") as f:
    f.write("\r\n".join(lines) + "\r\n")
print(f"{out}: {count} appcmd commands", file=sys.stderr)
