// Version queries: what the loaded library is, to compare with the header's macros.
#include "digitinfer/digitinfer.h"

extern "C" {

const char *di_version(void) { return DI_VERSION_STRING; }
uint32_t di_version_number(void) { return DI_VERSION_NUMBER; }
uint32_t di_abi_version(void) { return DI_ABI_VERSION; }

}  // extern "C"
