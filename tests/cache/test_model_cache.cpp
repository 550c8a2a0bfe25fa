// The compiled-model cache on its own (src/core/model_cache.cpp): which
// directory it picks, which entries it trusts, and how it writes them. The
// loads through it, process by process, are in check_cache.py.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <sys/stat.h>

#include "core/model_cache.hpp"

namespace fs = std::filesystem;
using namespace digitinfer::core;

namespace {

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string name = (fs::temp_directory_path() / "di-cache-unit-XXXXXX").string();
        REQUIRE(mkdtemp(&name[0]));
        path = name;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::permissions(path, fs::perms::owner_all, ignored);
        fs::remove_all(path, ignored);
    }
};

// Sets an environment variable (nullopt: unsets it) for the scope, then restores it.
struct ScopedEnv {
    std::string name;
    std::optional<std::string> saved;
    ScopedEnv(const char *n, std::optional<std::string> value) : name(n) {
        if (const char *old = std::getenv(n)) saved = old;
        value ? setenv(n, value->c_str(), 1) : unsetenv(n);
    }
    ~ScopedEnv() { saved ? setenv(name.c_str(), saved->c_str(), 1) : unsetenv(name.c_str()); }
};

unsigned mode_of(const fs::path &p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::string slurp(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const Sha256Digest kSource = sha256(std::string("some TorchScript bytes"));
const std::string kDimodel = "a stand-in for the bytes of a .dimodel";

}  // namespace

TEST_CASE("a cache entry decodes to the .dimodel it was made from, for its source only", "[cache]") {
    const std::string entry = encode_cache_entry(kSource, kDimodel);
    std::string why;
    REQUIRE(decode_cache_entry(entry, kSource, why) == kDimodel);
    CHECK(why.empty());
    CHECK_FALSE(decode_cache_entry(entry, sha256(std::string("other bytes")), why));
    CHECK(why == "was made from another file");
}

TEST_CASE("a truncated, extended or altered cache entry is refused", "[cache]") {
    const std::string entry = encode_cache_entry(kSource, kDimodel);
    std::string why;
    for (std::size_t size = 0; size < entry.size(); ++size) {
        INFO("first " << size << " bytes");
        CHECK_FALSE(decode_cache_entry(entry.substr(0, size), kSource, why));
    }
    CHECK_FALSE(decode_cache_entry(entry + '\0', kSource, why));
    std::string bad_magic = entry;
    bad_magic[0] = 'X';
    CHECK_FALSE(decode_cache_entry(bad_magic, kSource, why));
    CHECK(why == "is not a cache entry");
    std::string other_format = entry;
    other_format[8] = char(other_format[8] + 1);
    CHECK_FALSE(decode_cache_entry(other_format, kSource, why));
    CHECK(why == "has cache format 2");
}

TEST_CASE("a cache entry of another library version is refused", "[cache]") {
    std::string entry = encode_cache_entry(kSource, kDimodel);
    const std::string version = DI_VERSION_STRING;
    const std::size_t at = entry.find(version);
    REQUIRE(at == 16);  // magic, format, size: the version comes first, before anything it could change
    entry.replace(at, version.size(), std::string(version.size(), '9'));
    std::string why;
    CHECK_FALSE(decode_cache_entry(entry, kSource, why));
    CHECK(why == "was made by DigitInfer " + std::string(version.size(), '9'));
}

TEST_CASE("the cache directory comes from the option, else the environment", "[cache]") {
    TempDir tmp;
    const std::string name = "/" + to_hex(kSource) + ".dicache";
    ScopedEnv env("DIGITINFER_CACHE_DIR", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt),
        home("HOME", (tmp.path / "home").string());

    CHECK(ModelCache(std::nullopt).entry_path(kSource) == (tmp.path / "home/.cache/digitinfer").string() + name);
    CHECK(mode_of(tmp.path / "home/.cache") == 0700);
    {
        ScopedEnv relative("XDG_CACHE_HOME", "relative/dir");  // the XDG spec: ignored
        CHECK(ModelCache(std::nullopt).entry_path(kSource) == (tmp.path / "home/.cache/digitinfer").string() + name);
    }
    ScopedEnv absolute("XDG_CACHE_HOME", (tmp.path / "xdg").string());
    CHECK(ModelCache(std::nullopt).entry_path(kSource) == (tmp.path / "xdg/digitinfer").string() + name);
    ScopedEnv mine("DIGITINFER_CACHE_DIR", (tmp.path / "env").string());
    CHECK(ModelCache(std::nullopt).entry_path(kSource) == (tmp.path / "env").string() + name);
    CHECK(ModelCache((tmp.path / "option/").string()).entry_path(kSource) == (tmp.path / "option").string() + name);

    for (const char *off : {"", "off"}) {
        ScopedEnv disabled("DIGITINFER_CACHE_DIR", std::string(off));
        const ModelCache cache(std::nullopt);
        CHECK_FALSE(cache.enabled());
        CHECK(cache.off_reason() == "turned off by DIGITINFER_CACHE_DIR");
        CHECK(ModelCache((tmp.path / "option").string()).enabled());  // the option wins over the environment
    }
    const ModelCache none(std::string(""));
    CHECK_FALSE(none.enabled());
    CHECK(none.off_reason() == "turned off by the cache_dir load option");
}

TEST_CASE("the cache creates its directories private and refuses one others can write to", "[cache]") {
    TempDir tmp;
    const ModelCache nested((tmp.path / "a/b/c").string());
    CHECK(nested.enabled());
    for (const char *dir : {"a", "a/b", "a/b/c"}) CHECK(mode_of(tmp.path / dir) == 0700);

    fs::create_directory(tmp.path / "shared");
    fs::permissions(tmp.path / "shared", fs::perms::all);  // 0777
    const ModelCache shared((tmp.path / "shared").string());
    CHECK_FALSE(shared.enabled());
    CHECK(shared.off_reason().find("writable by group or others") != std::string::npos);

    std::ofstream(tmp.path / "file") << "not a directory";
    const ModelCache under_file((tmp.path / "file/cache").string());
    CHECK_FALSE(under_file.enabled());
    CHECK(under_file.off_reason().find("cannot create") != std::string::npos);
}

TEST_CASE("a stored entry is found again, private, with no temporary file left", "[cache]") {
    TempDir tmp;
    const ModelCache cache(tmp.path.string());
    REQUIRE(cache.enabled());
    std::string why;
    CHECK_FALSE(cache.find(kSource, 100, why));
    CHECK(why.empty());  // no entry is no error
    REQUIRE(cache.store(kSource, kDimodel, why));
    CHECK(cache.find(kSource, 100, why) == kDimodel);
    CHECK(mode_of(cache.entry_path(kSource)) == 0600);
    CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
    CHECK(slurp(cache.entry_path(kSource)) == encode_cache_entry(kSource, kDimodel));

    // Replacing an entry is one rename: the new bytes, still one file.
    REQUIRE(cache.store(kSource, kDimodel + "2", why));
    CHECK(cache.find(kSource, 100, why) == kDimodel + "2");
    CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
}

TEST_CASE("an entry that is a link, too large, or writable by others is not read", "[cache]") {
    TempDir tmp;
    const ModelCache cache(tmp.path.string());
    std::string why;
    REQUIRE(cache.store(kSource, kDimodel, why));
    const fs::path entry = cache.entry_path(kSource);

    REQUIRE(cache.store(kSource, std::string(2 << 20, 'x'), why));
    CHECK(cache.find(kSource, 1 << 20, why));
    CHECK_FALSE(cache.find(kSource, 100, why));  // far larger than its model: not something we wrote
    CHECK(why.find("too large") != std::string::npos);
    REQUIRE(cache.store(kSource, kDimodel, why));

    fs::permissions(entry, fs::perms::others_write, fs::perm_options::add);
    CHECK_FALSE(cache.find(kSource, 100, why));
    CHECK(why.find("not a private regular file") != std::string::npos);

    fs::rename(entry, tmp.path / "elsewhere");
    fs::create_symlink(tmp.path / "elsewhere", entry);
    CHECK_FALSE(cache.find(kSource, 100, why));
    CHECK(why.find("could not be opened") != std::string::npos);
}
