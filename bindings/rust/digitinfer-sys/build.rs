//! Links libdigitinfer, found with pkg-config (`digitinfer.pc`; set PKG_CONFIG_PATH for a prefix
//! outside the default search path). The include directories and target are passed on to the
//! layout test, which compiles a C program against the same headers.

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let library = match pkg_config::Config::new().atleast_version("1.3").probe("digitinfer") {
        Ok(library) => library,
        Err(e) => panic!(
            "\ndigitinfer-sys: libdigitinfer (>= 1.3) not found by pkg-config: {e}\n\
             Install DigitInfer, or point PKG_CONFIG_PATH at <prefix>/lib/pkgconfig.\n"
        ),
    };
    let join = |paths: &[std::path::PathBuf]| {
        std::env::join_paths(paths)
            .expect("pkg-config paths")
            .into_string()
            .expect("UTF-8 paths")
    };
    // For the layout test (tests/layout.rs) only.
    println!(
        "cargo:rustc-env=DIGITINFER_SYS_INCLUDE_DIRS={}",
        join(&library.include_paths)
    );
    println!(
        "cargo:rustc-env=DIGITINFER_SYS_TARGET={}",
        std::env::var("TARGET").unwrap()
    );
    println!("cargo:rustc-env=DIGITINFER_SYS_HOST={}", std::env::var("HOST").unwrap());
    // For dependents' build scripts (DEP_DIGITINFER_LIBDIR), e.g. to set an rpath.
    println!("cargo:libdir={}", join(&library.link_paths));
    println!("cargo:include={}", join(&library.include_paths));
}
