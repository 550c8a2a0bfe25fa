/* Compiled as C99 -pedantic -Werror: the C header must need nothing else. */
#include "digitinfer/digitinfer.h"

int header_check_c(void);
int header_check_c(void) {
    di_load_options opts = di_load_options_default();
    return (int)opts.struct_size + DI_VERSION_MAJOR + DI_ABI_VERSION;
}
