#include "core/model_cache.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace digitinfer::core {
namespace {

constexpr char kMagic[8] = {'D', 'I', 'C', 'A', 'C', 'H', 'E', '\0'};
constexpr uint32_t kCacheFormat = 1;  // bump when the entry layout changes
constexpr const char *kEntrySuffix = ".dicache";

std::string os_error(const std::string &what, const std::string &path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// getenv, except in a setuid/setgid program: there the environment belongs to
// the caller, who must not choose where the privileged process writes.
const char *environment(const char *name) {
#ifdef __GLIBC__
    return secure_getenv(name);
#else
    return getuid() == geteuid() && getgid() == getegid() ? std::getenv(name) : nullptr;
#endif
}

// The directory the setting names, or "" and `why`.
std::string resolve_directory(const std::optional<std::string> &setting, std::string &why) {
    if (setting) {
        if (setting->empty()) why = "turned off by the cache_dir load option";
        return *setting;
    }
    if (const char *dir = environment("DIGITINFER_CACHE_DIR")) {
        if (*dir == '\0' || std::strcmp(dir, "off") == 0) {
            why = "turned off by DIGITINFER_CACHE_DIR";
            return "";
        }
        return dir;
    }
    // The XDG base directory spec: relative values are invalid and ignored.
    if (const char *xdg = environment("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/digitinfer";
    if (const char *home = environment("HOME"); home && home[0] == '/') return std::string(home) + "/.cache/digitinfer";
    why = "no cache directory: neither XDG_CACHE_HOME nor HOME is an absolute path";
    return "";
}

// mkdir -p, each new directory 0700 (as the XDG spec asks of the cache home).
bool make_directories(const std::string &path, std::string &why) {
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string prefix = path.substr(0, end);
        if (!prefix.empty() && mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
            why = os_error("cannot create", prefix);
            return false;
        }
        if (end == std::string::npos) return true;
    }
}

// Entries are trusted only in a directory that no one else can write to: else
// another user could plant a model this user would then run.
bool safe_directory(const std::string &path, std::string &why) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        why = os_error("cannot use", path);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) why = path + " is not a directory";
    else if (st.st_uid != geteuid()) why = path + " belongs to another user";
    else if (st.st_mode & (S_IWGRP | S_IWOTH)) why = path + " is writable by group or others";
    return why.empty();
}

void put_u32(std::string &out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out += char(uint8_t(v >> (8 * i)));
}
void put_u64(std::string &out, uint64_t v) {
    put_u32(out, uint32_t(v));
    put_u32(out, uint32_t(v >> 32));
}

class Reader {
public:
    explicit Reader(const std::string &bytes) : bytes_(bytes) {}
    bool take(std::size_t n, std::string &out) {
        if (n > bytes_.size() - pos_) return false;
        out.assign(bytes_, pos_, n);
        pos_ += n;
        return true;
    }
    // A little-endian unsigned integer of `n` bytes.
    bool uint(std::size_t n, uint64_t &v) {
        std::string b;
        if (!take(n, b)) return false;
        v = 0;
        for (std::size_t i = n; i-- > 0;) v = v << 8 | uint8_t(b[i]);
        return true;
    }
    std::size_t left() const { return bytes_.size() - pos_; }

private:
    const std::string &bytes_;
    std::size_t pos_ = 0;
};

bool write_all(int fd, const std::string &bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += std::size_t(n);
    }
    return true;
}

}  // namespace

std::string encode_cache_entry(const Sha256Digest &source, const std::string &dimodel) {
    std::string out(kMagic, sizeof kMagic);
    put_u32(out, kCacheFormat);
    const std::string version = DI_VERSION_STRING;
    put_u32(out, uint32_t(version.size()));
    out += version;
    out.append(reinterpret_cast<const char *>(source.data()), source.size());
    put_u64(out, dimodel.size());
    out += dimodel;
    return out;
}

std::optional<std::string> decode_cache_entry(const std::string &entry, const Sha256Digest &source, std::string &why) {
    Reader r(entry);
    std::string magic, version, digest, dimodel;
    uint64_t format = 0, version_size = 0, size = 0;
    if (!r.take(sizeof kMagic, magic) || magic != std::string(kMagic, sizeof kMagic)) why = "is not a cache entry";
    else if (!r.uint(4, format) || format != kCacheFormat) why = "has cache format " + std::to_string(format);
    else if (!r.uint(4, version_size) || version_size > 64 || !r.take(version_size, version)) why = "is truncated";
    else if (version != DI_VERSION_STRING) why = "was made by DigitInfer " + version;
    else if (!r.take(source.size(), digest)) why = "is truncated";
    else if (digest != std::string(reinterpret_cast<const char *>(source.data()), source.size()))
        why = "was made from another file";
    else if (!r.uint(8, size) || size != r.left() || !r.take(std::size_t(size), dimodel))
        why = "is truncated or too long";
    if (!why.empty()) return std::nullopt;
    return dimodel;
}

ModelCache::ModelCache(const std::optional<std::string> &setting) {
    std::string dir = resolve_directory(setting, off_reason_);
    if (dir.empty()) return;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    if (make_directories(dir, off_reason_) && safe_directory(dir, off_reason_)) dir_ = std::move(dir);
}

std::string ModelCache::entry_path(const Sha256Digest &source) const {
    return dir_ + "/" + to_hex(source) + kEntrySuffix;
}

std::optional<std::string> ModelCache::find(const Sha256Digest &source, std::size_t source_size,
                                            std::string &why) const {
    why.clear();
    const std::string path = entry_path(source);
    // O_NOFOLLOW: an entry is a file we wrote, never a link to somewhere else.
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) why = std::string("could not be opened: ") + std::strerror(errno);
        return std::nullopt;
    }
    std::string entry;
    struct stat st {};
    // An entry is about the size of its model; a far larger file is not ours to read into memory.
    const auto limit = uint64_t(source_size) * 2 + (1u << 20);
    if (fstat(fd, &st) != 0) why = std::string("could not be examined: ") + std::strerror(errno);
    else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
        why = "is not a private regular file";
    else if (uint64_t(st.st_size) > limit) why = "is too large for its model";
    else {
        entry.resize(std::size_t(st.st_size));
        std::size_t done = 0;
        while (why.empty() && done < entry.size()) {
            const ssize_t n = read(fd, &entry[done], entry.size() - done);
            if (n > 0) done += std::size_t(n);
            else if (n == 0) break;  // shrank while we read: the checks below catch it
            else if (errno != EINTR) why = std::string("could not be read: ") + std::strerror(errno);
        }
        entry.resize(done);
    }
    close(fd);
    if (!why.empty()) return std::nullopt;
    return decode_cache_entry(entry, source, why);
}

bool ModelCache::store(const Sha256Digest &source, const std::string &dimodel, std::string &why) const {
    why.clear();
    const std::string path = entry_path(source);
    // In the same directory, so that rename() replaces the entry in one step:
    // a concurrent reader sees the old entry or the new one, never half of one.
    std::string temp = dir_ + "/." + to_hex(source) + ".tmp.XXXXXX";
    const int fd = mkostemp(&temp[0], O_CLOEXEC);  // mode 0600
    if (fd < 0) {
        why = os_error("cannot write in", dir_);
        return false;
    }
    // No fsync: an entry torn by a crash fails its checks on the next load and is replaced.
    const bool written = write_all(fd, encode_cache_entry(source, dimodel));
    if (!written) why = os_error("cannot write", temp);
    if (close(fd) != 0 && why.empty()) why = os_error("cannot write", temp);
    if (why.empty() && rename(temp.c_str(), path.c_str()) != 0) why = os_error("cannot rename to", path);
    if (why.empty()) return true;
    unlink(temp.c_str());
    return false;
}

}  // namespace digitinfer::core
