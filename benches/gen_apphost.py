#!/usr/bin/env python3
"""Writes a deterministic synthetic applicationHost.config of about SIZE megabytes.

Usage: gen_apphost.py SIZE_MB OUTPUT

It starts from the review test server (IIS 10 + URL Rewrite + ARR declarations,
tests/fixtures/review/arr-applicationHost.config) and adds sites until the file
reaches the size: each site has a pool, three applications with virtual
directories, two bindings, and a <location> block with handlers and rewrite
rules, as on a hosting server. Same size in, same bytes out.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "..", "tests", "fixtures", "review", "arr-applicationHost.config")


def site(i):
    name = f"site{i:05d}.example.org"
    pool = f"pool{i:05d}"
    return pool, name, f"""            <site name="{name}" id="{i + 10}">\r
                <application path="/" applicationPool="{pool}">\r
                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}\\www" />\r
                    <virtualDirectory path="/media" physicalPath="E:\\media\\{name}" />\r
                </application>\r
                <application path="/api" applicationPool="{pool}">\r
                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}\\api" />\r
                </application>\r
                <application path="/static" applicationPool="{pool}">\r
                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}\\static" />\r
                </application>\r
                <bindings>\r
                    <binding protocol="http" bindingInformation="*:80:{name}" />\r
                    <binding protocol="https" bindingInformation="*:443:{name}" sslFlags="1" />\r
                </bindings>\r
            </site>\r
"""


def location(i, name):
    return f"""    <location path="{name}" overrideMode="Allow">\r
        <system.webServer>\r
            <handlers accessPolicy="Read, Script">\r
                <add name="php-{i}" path="*.php" verb="GET,HEAD,POST" modules="FastCgiModule" scriptProcessor="C:\\php\\php-cgi.exe" resourceType="Either" requireAccess="Script" />\r
                <add name="StaticFile" path="*" verb="*" modules="StaticFileModule,DefaultDocumentModule" resourceType="Either" requireAccess="Read" />\r
            </handlers>\r
            <rewrite>\r
                <rules>\r
                    <rule name="https-{i}" stopProcessing="true">\r
                        <match url="(.*)" />\r
                        <conditions>\r
                            <add input="{{HTTPS}}" pattern="off" ignoreCase="true" />\r
                        </conditions>\r
                        <action type="Redirect" url="https://{{HTTP_HOST}}/{{R:1}}" redirectType="Permanent" />\r
                    </rule>\r
                </rules>\r
            </rewrite>\r
        </system.webServer>\r
    </location>\r
"""


def main():
    size = float(sys.argv[1]) * 1024 * 1024
    out = sys.argv[2]
    base = open(BASE, encoding="utf-8", newline="").read()
    pools, sites, locations = [], [], []
    total = len(base)
    i = 0
    while total < size:
        pool, name, text = site(i)
        pool_line = f'            <add name="{pool}" managedRuntimeVersion="" startMode="AlwaysRunning">\r\n                <processModel idleTimeout="00:00:00" />\r\n            </add>\r\n'
        loc = location(i, name)
        pools.append(pool_line)
        sites.append(text)
        locations.append(loc)
        total += len(text) + len(pool_line) + len(loc)
        i += 1
    text = base.replace(
        '            <applicationPoolDefaults', "".join(pools) + '            <applicationPoolDefaults', 1
    ).replace(
        '            <siteDefaults>', "".join(sites) + '            <siteDefaults>', 1
    ).replace("</configuration>", "".join(locations) + "</configuration>", 1)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(f"{out}: {len(text.encode()) / 1048576:.1f} MB, {i} sites", file=sys.stderr)


if __name__ == "__main__":
    main()
