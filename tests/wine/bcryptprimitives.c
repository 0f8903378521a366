/*
 * Test-only stand-in for bcryptprimitives.dll under Wine 8, which lacks
 * ProcessPrng: Rust's std on Windows imports it for random numbers (hash
 * map seeds), and without it omero-iis.exe exits 53 before main. It forwards
 * to advapi32's SystemFunction036 (RtlGenRandom), which Wine has. Built by
 * tests/windows.rs next to the .exe it tests; never shipped.
 */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
