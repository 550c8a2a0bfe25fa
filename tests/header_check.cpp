// Compiled with -Wall -Wextra -Wpedantic -Wconversion -Werror: the C++ header is warning-free.
#include "digitinfer/digitinfer.hpp"

int header_check_cpp();
int header_check_cpp() { return digitinfer::Model() ? 1 : 0; }
