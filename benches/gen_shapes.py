#!/usr/bin/env python3
"""Writes a deterministic IIS configuration file of one shape and about SIZE megabytes.

Usage: gen_shapes.py SHAPE SIZE_MB OUTPUT [--lf] [--bom]
       gen_shapes.py --list

Shapes (each a valid file that IIS loads; `omero-iis check` must find no error):
  sites             applicationHost.config: many sites, each with its own pool, applications
                    and bindings; no <location> blocks.
  locations         applicationHost.config: sites and pools, and five <location> blocks per
                    site (the site and four folders), each with handlers, authentication,
                    request filtering and custom headers (a hosting server's shape).
  rewritemaps       applicationHost.config: one URL Rewrite map with as many entries as fit.
  ipsecurity        applicationHost.config: an ipSecurity deny list with as many entries as fit.
  mimemaps          applicationHost.config: staticContent with as many <mimeMap>s as fit.
  requestfiltering  applicationHost.config: request filtering with as many file extension,
                    URL sequence and hidden segment rules as fit.
  rewrite-webconfig web.config: as many URL Rewrite rules as fit.
  long-attributes   web.config: rewrite rules whose patterns are 16 KB each.

Lines end in CRLF (what Windows tools write) unless --lf; --bom starts the file with UTF-8's
byte order mark. The server-level files start from the review test server (IIS 10 + URL
Rewrite + ARR declarations, tests/fixtures/review/arr-applicationHost.config). Same arguments
in, same bytes out.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "..", "tests", "fixtures", "review", "arr-applicationHost.config")

SHAPES = [
    "sites",
    "locations",
    "rewritemaps",
    "ipsecurity",
    "mimemaps",
    "requestfiltering",
    "rewrite-webconfig",
    "long-attributes",
]


def pool(i):
    return (
        f'            <add name="pool{i:06d}" managedRuntimeVersion="" startMode="AlwaysRunning">\n'
        f'                <processModel idleTimeout="00:00:00" />\n'
        f"            </add>\n"
    )


def site(i):
    name = f"site{i:06d}.example.org"
    return f"""            <site name="{name}" id="{i + 10}">
                <application path="/" applicationPool="pool{i:06d}">
                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}\\www" />
                </application>
                <application path="/api" applicationPool="pool{i:06d}">
                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}\\api" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:{name}" />
                    <binding protocol="https" bindingInformation="*:443:{name}" sslFlags="1" />
                </bindings>
            </site>
"""


def location(path, i):
    return f"""    <location path="{path}" overrideMode="Allow">
        <system.webServer>
            <handlers accessPolicy="Read, Script">
                <add name="php-{i}" path="*.php" verb="GET,HEAD,POST" modules="FastCgiModule" scriptProcessor="C:\\php\\php-cgi.exe" resourceType="Either" requireAccess="Script" />
            </handlers>
            <security>
                <authentication>
                    <anonymousAuthentication enabled="true" userName="" />
                    <windowsAuthentication enabled="false" />
                </authentication>
                <requestFiltering allowDoubleEscaping="false">
                    <requestLimits maxAllowedContentLength="{1048576 + i}" />
                </requestFiltering>
            </security>
            <httpProtocol>
                <customHeaders>
                    <add name="X-Site-{i}" value="{i}" />
                </customHeaders>
            </httpProtocol>
        </system.webServer>
    </location>
"""


def server_level(base, pools="", sites="", web_server="", rewrite="", locations=""):
    """The base server with extra pools, sites, system.webServer sections and locations."""
    text = base.replace("            <applicationPoolDefaults", pools + "            <applicationPoolDefaults", 1)
    text = text.replace("            <siteDefaults>", sites + "            <siteDefaults>", 1)
    if web_server:
        text = text.replace("    </system.webServer>", web_server + "    </system.webServer>", 1)
    if rewrite:
        text = text.replace("    </system.webServer>", rewrite + "    </system.webServer>", 1)
    return text.replace("</configuration>", locations + "</configuration>", 1)


def fill(size, make, start=0):
    """Pieces from make(i) until their total reaches size bytes."""
    pieces, total, i = [], 0, start
    while total < size:
        piece = make(i)
        pieces.append(piece)
        total += len(piece)
        i += 1
    return "".join(pieces), i - start


def collection(size, base, open_tags, close_tags, item):
    body, count = fill(size - len(base), item)
    return open_tags + body + close_tags, count


def shape_text(shape, size, base):
    if shape == "sites":
        pools, sites = [], []
        total, i = len(base), 0
        while total < size:
            p, s = pool(i), site(i)
            pools.append(p)
            sites.append(s)
            total += len(p) + len(s)
            i += 1
        return server_level(base, "".join(pools), "".join(sites)), f"{i} sites"
    if shape == "locations":
        pools, sites, locations = [], [], []
        total, i = len(base), 0
        while total < size:
            name = f"site{i:06d}.example.org"
            block = location(name, i * 5)
            for k, folder in enumerate(["media", "api/v1", "static", "upload"]):
                block += location(f"{name}/{folder}", i * 5 + k + 1)
            p, s = pool(i), site(i)
            pools.append(p)
            sites.append(s)
            locations.append(block)
            total += len(p) + len(s) + len(block)
            i += 1
        return server_level(base, "".join(pools), "".join(sites), locations="".join(locations)), f"{i} sites, {5 * i} locations"
    if shape == "rewritemaps":
        maps, count = collection(
            size, base,
            '        <rewrite>\n            <rewriteMaps>\n                <rewriteMap name="legacy-urls" defaultValue="">\n',
            "                </rewriteMap>\n            </rewriteMaps>\n        </rewrite>\n",
            lambda i: f'                    <add key="/old/path/{i:07d}.aspx" value="/new/path/{i:07d}" />\n',
        )
        return server_level(base, rewrite=maps), f"{count} map entries"
    if shape == "ipsecurity":
        # Into the server's own <security> group (one element per group and level).
        body, count = fill(
            size - len(base),
            lambda i: f'                <add ipAddress="10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" subnetMask="255.255.255.255" allowed="false" />\n',
        )
        section = '            <ipSecurity allowUnlisted="true">\n' + body + "            </ipSecurity>\n"
        return base.replace("        </security>", section + "        </security>", 1), f"{count} deny entries"
    if shape == "mimemaps":
        # The server's own <staticContent> gets the entries (one section per level).
        body, count = fill(size - len(base), lambda i: f'            <mimeMap fileExtension=".x{i:07d}" mimeType="application/x-omero-{i % 97}" />\n')
        if "</staticContent>" in base:
            text = base.replace("        </staticContent>", body + "        </staticContent>", 1)
        else:
            text = server_level(base, web_server="        <staticContent>\n" + body + "        </staticContent>\n")
        return text, f"{count} mimeMaps"
    if shape == "requestfiltering":
        third = (size - len(base)) // 3
        ext, n1 = fill(third, lambda i: f'                    <add fileExtension=".e{i:07d}" allowed="false" />\n')
        seq, n2 = fill(third, lambda i: f'                    <add sequence="/blocked/{i:07d}/" />\n')
        hidden, n3 = fill(third, lambda i: f'                    <add segment="hidden{i:07d}" />\n')
        section = (
            "                <fileExtensions allowUnlisted=\"true\">\n" + ext + "                </fileExtensions>\n"
            "                <denyUrlSequences>\n" + seq + "                </denyUrlSequences>\n"
            "                <hiddenSegments>\n" + hidden + "                </hiddenSegments>\n"
        )
        # Into the server's own <requestFiltering>.
        text = base.replace("            </requestFiltering>", section + "            </requestFiltering>", 1)
        return text, f"{n1 + n2 + n3} rules"
    if shape in ("rewrite-webconfig", "long-attributes"):
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n    <system.webServer>\n        <rewrite>\n            <rules>\n'
        tail = "            </rules>\n        </rewrite>\n    </system.webServer>\n</configuration>\n"
        if shape == "rewrite-webconfig":
            def rule(i):
                return f"""                <rule name="rule-{i:07d}" stopProcessing="true">
                    <match url="^section{i:07d}/(.*)$" />
                    <conditions logicalGrouping="MatchAll">
                        <add input="{{HTTP_HOST}}" pattern="^www\\.example\\.org$" />
                    </conditions>
                    <action type="Rewrite" url="/app/{i:07d}/{{R:1}}" />
                </rule>
"""
        else:
            def rule(i):
                pattern = "|".join(f"p{i:05d}x{k:05d}" for k in range(1400))[:16384]
                return f"""                <rule name="long-{i:07d}">
                    <match url="^({pattern})$" />
                    <action type="Rewrite" url="/long/{i:07d}" />
                </rule>
"""
        body, count = fill(size - len(head) - len(tail), rule)
        return head + body + tail, f"{count} rules"
    raise SystemExit(f"unknown shape {shape}; one of: {', '.join(SHAPES)}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    if "--list" in flags:
        print("\n".join(SHAPES))
        return
    if len(args) != 3:
        raise SystemExit(__doc__)
    shape, size_mb, out = args[0], float(args[1]), args[2]
    base = open(BASE, encoding="utf-8", newline="").read().replace("\r\n", "\n")
    text, what = shape_text(shape, size_mb * 1024 * 1024, base)
    if "--lf" not in flags:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if "--bom" in flags:
        data = b"\xef\xbb\xbf" + data
    with open(out, "wb") as f:
        f.write(data)
    print(f"{out}: {len(data) / 1048576:.1f} MB, {what}", file=sys.stderr)


if __name__ == "__main__":
    main()
