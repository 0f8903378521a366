/*
 * A stand-in for the Windows programs the generated scripts call (appcmd,
 * icacls, dism, net, powershell, python), for tests/wine.rs.
 *
 * Each run appends one line to the file named by OIIS_STUB_LOG:
 *   program \x1f command line \x1f argv[1] \x1f argv[2] ...   (UTF-8)
 * where argv is what CommandLineToArgvW (the C runtime's rules) makes of
 * GetCommandLineW(). The exit code is chosen by the test:
 *   OIIS_STUB_FAIL_AT=N, OIIS_STUB_FAIL_CODE=C  the N-th logged run exits with C;
 *   OIIS_STUB_RULES=FILE  lines "CODE<TAB>text[<TAB>output]": the first rule whose
 *                         text is in the command line (case-insensitive) gives the
 *                         exit code, and prints its output line if it has one;
 *   OIIS_STUB_SEQUENCE=FILE  line N is "CODE[<TAB>output]" for the N-th logged run:
 *                         it exits with CODE and prints the output, whose lines
 *                         are separated by \x1e (each printed with CR LF);
 *   otherwise 0. A `powershell ... Get-Date` run prints a fixed time stamp.
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static char *utf8(const wchar_t *w) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = malloc(n > 0 ? n : 1);
    if (n <= 0) { s[0] = 0; return s; }
    WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

static int count_lines(const wchar_t *path) {
    FILE *f = _wfopen(path, L"rb");
    int c, lines = 0;
    if (!f) return 0;
    while ((c = fgetc(f)) != EOF) if (c == '\n') lines++;
    fclose(f);
    return lines;
}

static int rule_code(const wchar_t *rules, const wchar_t *line, char *output, size_t size) {
    FILE *f = _wfopen(rules, L"rb");
    char buf[4096];
    char *cmd = utf8(line);
    int code = 0;
    for (char *p = cmd; *p; p++) if (*p >= 'A' && *p <= 'Z') *p += 32;
    if (!f) { free(cmd); return 0; }
    while (fgets(buf, sizeof buf, f)) {
        char *tab = strchr(buf, '\t');
        size_t len;
        if (!tab) continue;
        *tab = 0;
        len = strlen(tab + 1);
        while (len && (tab[1 + len - 1] == '\n' || tab[1 + len - 1] == '\r')) tab[1 + --len] = 0;
        {
            char *second = strchr(tab + 1, '\t');
            output[0] = 0;
            if (second) {
                *second = 0;
                strncpy(output, second + 1, size - 1);
                output[size - 1] = 0;
                len = strlen(tab + 1);
            }
        }
        for (char *p = tab + 1; *p; p++) if (*p >= 'A' && *p <= 'Z') *p += 32;
        if (len && strstr(cmd, tab + 1)) { code = atoi(buf); break; }
        output[0] = 0;
    }
    fclose(f);
    free(cmd);
    return code;
}

/* The line `index` (1-based) of the sequence file: its exit code, and its
   output printed. Returns -1 when the file has no such line. */
static int sequence_code(const wchar_t *path, int index) {
    FILE *f = _wfopen(path, L"rb");
    static char buf[65536];
    int n = 0, code = -1;
    if (!f) return -1;
    while (fgets(buf, sizeof buf, f)) {
        if (++n != index) continue;
        {
            size_t len = strlen(buf);
            char *tab, *p;
            while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
            code = atoi(buf);
            tab = strchr(buf, '\t');
            if (tab) {
                for (p = tab + 1; *p; p++) {
                    if (*p == 0x1e) fputs("\r\n", stdout); else fputc(*p, stdout);
                }
                if (tab[1]) fputs("\r\n", stdout);
            }
        }
        break;
    }
    fclose(f);
    return code;
}

/* Appends one log line in a single write, the file opened for appending
   only and shared, so that the line is whole or absent. Wine, on a loaded
   machine, now and then refuses to open a file that the previous stub has
   just closed; such an open is tried again for up to two seconds, and a
   failure is said on stderr (the tests look for "stub: cannot"). */
static int append_line(const wchar_t *log, const wchar_t *name, const wchar_t *line,
                       wchar_t **argv, int argc) {
    size_t size = 2, used = 0;
    /* The program's name, the command line, then argv[1] to argv[argc - 1]. */
    char **parts = malloc(sizeof *parts * (size_t)(argc + 1));
    int count = 0;
    char *text;
    HANDLE h = INVALID_HANDLE_VALUE;
    DWORD written = 0;
    parts[count++] = utf8(name);
    parts[count++] = utf8(line);
    for (int i = 1; i < argc; i++) parts[count++] = utf8(argv[i]);
    for (int i = 0; i < count; i++) size += strlen(parts[i]) + 1;
    text = malloc(size);
    for (int i = 0; i < count; i++) {
        size_t n = strlen(parts[i]);
        if (i) text[used++] = 0x1f;
        memcpy(text + used, parts[i], n);
        used += n;
        free(parts[i]);
    }
    free(parts);
    text[used++] = '\n';
    for (int attempt = 0; attempt < 100 && h == INVALID_HANDLE_VALUE; attempt++) {
        h = CreateFileW(log, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                        NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        if (h == INVALID_HANDLE_VALUE) Sleep(20);
    }
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "stub: cannot open the log (error %lu)\n", GetLastError());
        free(text);
        return 0;
    }
    if (!WriteFile(h, text, (DWORD)used, &written, NULL) || written != used) {
        fprintf(stderr, "stub: cannot write the log (error %lu)\n", GetLastError());
        CloseHandle(h);
        free(text);
        return 0;
    }
    CloseHandle(h);
    free(text);
    return 1;
}

int main(void) {
    const wchar_t *line = GetCommandLineW();
    int argc = 0, code = 0;
    wchar_t **argv = CommandLineToArgvW(line, &argc);
    wchar_t module[MAX_PATH];
    const wchar_t *log = _wgetenv(L"OIIS_STUB_LOG");
    const wchar_t *fail_at = _wgetenv(L"OIIS_STUB_FAIL_AT");
    const wchar_t *fail_code = _wgetenv(L"OIIS_STUB_FAIL_CODE");
    const wchar_t *rules = _wgetenv(L"OIIS_STUB_RULES");
    const wchar_t *sequence = _wgetenv(L"OIIS_STUB_SEQUENCE");
    wchar_t *name;
    int index;

    GetModuleFileNameW(NULL, module, MAX_PATH);
    name = wcsrchr(module, L'\\');
    name = name ? name + 1 : module;
    if (!log) { fprintf(stderr, "stub: OIIS_STUB_LOG is not set\n"); return 99; }
    index = count_lines(log) + 1;
    if (!append_line(log, name, line, argv, argc)) return 98;

    if (sequence) {
        code = sequence_code(sequence, index);
        return code < 0 ? 0 : code;
    }
    char output[1024] = {0};
    if (rules) code = rule_code(rules, line, output, sizeof output);
    if (output[0]) {
        /* The output is UTF-8 in the rules file; the console code page of a
           test run is ASCII-compatible, and the tests print ASCII only. */
        printf("%s\r\n", output);
    }
    if (fail_at && _wtoi(fail_at) == index) code = fail_code ? _wtoi(fail_code) : 1;
    if (wcsstr(line, L"Get-Date")) printf("20261125-120000\r\n");
    return code;
}
