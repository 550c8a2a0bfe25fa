/* The one place the version is written: CMakeLists.txt reads it from here (so the source tree
   is never written to). Bump DI_VERSION_* for a release; DI_ABI_VERSION only when the C ABI breaks.
   Versions and ABI: the compile-time version of these headers, the runtime
   queries to compare it with the loaded library, and the linkage macros. */
/**
 * \file
 * Versions and ABI: the compile-time version of these headers, the runtime
 * queries to compare it with the loaded library, and the linkage macros.
 * Included by digitinfer/digitinfer.h; C99 and C++.
 */
#ifndef DIGITINFER_VERSION_H
#define DIGITINFER_VERSION_H

#include <stdint.h>

/**
 * \def DI_API
 * Marks the public functions: exported from the library (imported on Windows); everything
 * else in the library is hidden.
 */
#if defined(_WIN32)
#ifdef DI_BUILDING_LIBRARY
#define DI_API __declspec(dllexport)
#else
#define DI_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define DI_API __attribute__((visibility("default")))
#else
#define DI_API
#endif

/**
 * \def DI_DEPRECATED(decl, hint)
 * `DI_DEPRECATED(decl, "use di_other")` marks the declaration `decl` as deprecated; the
 * compiler shows `hint` where it is used.
 */
#if defined(__GNUC__) || defined(__clang__)
#define DI_DEPRECATED(decl, hint) decl __attribute__((deprecated(hint)))
#elif defined(_MSC_VER)
#define DI_DEPRECATED(decl, hint) __declspec(deprecated(hint)) decl
#else
#define DI_DEPRECATED(decl, hint) decl
#endif


/** Major version of these headers: it changes when the C ABI breaks. */
#define DI_VERSION_MAJOR 1
/** Minor version of these headers: it grows when functions, enum values or trailing struct fields are added. */
#define DI_VERSION_MINOR 3
/** Patch version of these headers: fixes only. */
#define DI_VERSION_PATCH 0
/** Version of these headers, "MAJOR.MINOR.PATCH"; compare with di_version(). */
#define DI_VERSION_STRING "1.3.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH, for preprocessor comparisons; compare with di_version_number(). */
#define DI_VERSION_NUMBER (DI_VERSION_MAJOR * 10000 + DI_VERSION_MINOR * 100 + DI_VERSION_PATCH)
/** The SONAME number: the C ABI is stable while it stays the same; compare with di_abi_version(). */
#define DI_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the loaded library, "MAJOR.MINOR.PATCH". Compare with DI_VERSION_STRING. */
DI_API const char *di_version(void);

/** Version of the loaded library as DI_VERSION_NUMBER would encode it. */
DI_API uint32_t di_version_number(void);

/** ABI version of the loaded library (the SONAME's number); compare with DI_ABI_VERSION. */
DI_API uint32_t di_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* DIGITINFER_VERSION_H */
