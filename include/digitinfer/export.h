/* Symbol export and deprecation macros of the DigitInfer C API. */
#ifndef DIGITINFER_EXPORT_H
#define DIGITINFER_EXPORT_H

/* DI_API marks the public functions; everything else in the library is hidden.
   Define DI_STATIC when linking a static build of the library. */
#if defined(DI_STATIC)
#define DI_API
#elif defined(_WIN32)
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

/* DI_DEPRECATED(decl, "use di_other") marks a declaration as deprecated with a hint. */
#if defined(__GNUC__) || defined(__clang__)
#define DI_DEPRECATED(decl, hint) decl __attribute__((deprecated(hint)))
#elif defined(_MSC_VER)
#define DI_DEPRECATED(decl, hint) __declspec(deprecated(hint)) decl
#else
#define DI_DEPRECATED(decl, hint) decl
#endif

#endif /* DIGITINFER_EXPORT_H */
