/* Whether libtorch is mapped into this process (/proc/self/maps): 1 yes, 0 no, -1 unknown.
   For the C test programs that check which loads pay for libtorch. */
#ifndef DIGITINFER_TESTS_LIBTORCH_MAPPED_H
#define DIGITINFER_TESTS_LIBTORCH_MAPPED_H

#include <stdio.h>
#include <string.h>

static int libtorch_mapped(void) {
    char line[4096];
    int found = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return -1;
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "libtorch")) found = 1;
    fclose(maps);
    return found;
}

#endif
