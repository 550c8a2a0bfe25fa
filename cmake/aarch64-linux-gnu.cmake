# Cross-compiling for 64-bit Arm Linux with Debian's cross toolchain, testing
# under qemu-user:
#   apt-get install g++-aarch64-linux-gnu qemu-user
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libturbojpeg0-dev:arm64 libdeflate-dev:arm64
#   cmake -G Ninja -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#     -DDIGITINFER_WITH_TORCH=OFF
# tools/cross_aarch64.sh does all of that and runs the tests; docs/portability.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_di_triple aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${_di_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_di_triple}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${_di_triple})

# Target libraries come from the arm64 multiarch packages (/usr/lib/aarch64-linux-gnu,
# headers in /usr/include); arch-independent header-only packages (nlohmann-json,
# Catch2, stb) and their CMake files are found in /usr as for the host.
set(CMAKE_FIND_ROOT_PATH /usr/${_di_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must see the arm64 .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${_di_triple}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Target programs (the tests, and catch_discover_tests listing them at build
# time) run under qemu-user, with the cross toolchain's loader and libraries.
# LD_LIBRARY_PATH: the arm64 -dev packages pull in libc6:arm64, whose libc in
# /lib/aarch64-linux-gnu the cross loader (from libc6-arm64-cross, another
# build of glibc) would otherwise find first; with a loader and a libc of two
# builds, the first pthread_create (OpenMP's first thread) spins forever on the
# loader's stack cache. So the loader's own libc comes first.
set(CMAKE_CROSSCOMPILING_EMULATOR
  qemu-aarch64;-L;/usr/${_di_triple};-E;LD_LIBRARY_PATH=/usr/${_di_triple}/lib)
