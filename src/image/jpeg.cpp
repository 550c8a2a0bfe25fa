// JPEG through libjpeg-turbo's libjpeg API, the library and API Pillow itself
// uses, with Pillow's decoder settings (accurate integer IDCT, fancy
// upsampling, libjpeg's YCbCr -> RGB), so that the decoded pixels are the
// ones Pillow sees, and with Pillow's decisions:
// - libjpeg's warnings are tolerated (Pillow's decoder ignores them), its
//   errors refuse the file ("broken data stream");
// - the data running out before the last row is decoded refuses it ("image
//   file is truncated": Pillow's suspending source asks for more); running
//   out only while looking for the end marker afterwards does not.
// Beyond Pillow, a scan limit bounds the work of a progressive file (every
// scan walks every block of the image, however few bytes it has): the scans
// are counted before decoding (jpeg_scans.cpp) and again while decoding.
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "common/failure.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"

namespace digitinfer::core {
namespace {

// libjpeg's error manager, extended: errors jump back to decode_jpeg, warnings are noted.
struct ErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX] = "";
    bool ran_out_of_data = false;  // libjpeg's source reached the end of the bytes (JWRN_JPEG_EOF)
};

// The progress monitor, extended with the scan limit.
struct ScanLimit {
    jpeg_progress_mgr pub;
    uint32_t max_scans;
    bool exceeded = false;
};

void on_error(j_common_ptr cinfo) {
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->ran_out_of_data = true;
}

// Called by libjpeg between (and within) scans: stops at the first scan past the limit.
void on_progress(j_common_ptr cinfo) {
    auto *limit = reinterpret_cast<ScanLimit *>(cinfo->progress);
    const auto *d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->input_scan_number > 0 && uint32_t(d->input_scan_number) > limit->max_scans) {
        limit->exceeded = true;
        std::longjmp(reinterpret_cast<ErrorManager *>(cinfo->err)->jump, 1);
    }
}

[[noreturn]] void too_many_scans(uint32_t limit) {
    fail(DI_ERR_DECODE, "cannot decode JPEG: more than " + std::to_string(limit) + " scans (the limit max_jpeg_scans)");
}

// The decompressor, destroyed however decode_jpeg leaves.
struct Decompressor {
    jpeg_decompress_struct cinfo{};
    ~Decompressor() { jpeg_destroy_decompress(&cinfo); }
};

}  // namespace

bool looks_like_jpeg(const uint8_t *data, std::size_t size) {
    return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

namespace {

// Decodes into `img`, or, when `gray` is given and the file is gray or RGB, straight into
// `gray`: a few rows at a time through `img` (as a row buffer), converted as convert("L") does.
void decode_jpeg_into(const uint8_t *data, std::size_t size, const DecodeLimits &limits, Image &img, GrayImage *gray) {
    ErrorManager err;
    ScanLimit progress{{}, limits.max_jpeg_scans};
    Decompressor d;
    j_decompress_ptr cinfo = &d.cinfo;
    cinfo->err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    // Nothing with a destructor is made between here and the jumps back (from libjpeg's C frames).
    if (setjmp(err.jump)) {
        if (progress.exceeded) too_many_scans(limits.max_jpeg_scans);
        fail(DI_ERR_DECODE, std::string("cannot decode JPEG: ") + err.message);
    }
    jpeg_create_decompress(cinfo);
    progress.pub.progress_monitor = on_progress;
    cinfo->progress = &progress.pub;
    jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK || err.ran_out_of_data)
        fail(DI_ERR_DECODE, "cannot decode JPEG: file truncated in its header");
    const std::size_t w = cinfo->image_width, h = cinfo->image_height;
    if (w == 0 || h == 0 || w * h > limits.max_pixels)
        fail(DI_ERR_DECODE, "cannot decode JPEG: dimensions " + std::to_string(w) + "x" + std::to_string(h) +
                                " are out of range (limit " + std::to_string(limits.max_pixels) + " pixels)");
    // Pillow keeps grayscale JPEGs as L, CMYK/YCCK ones as CMYK, and decodes the rest to RGB.
    const J_COLOR_SPACE space = cinfo->jpeg_color_space;
    if (space == JCS_UNKNOWN) fail(DI_ERR_DECODE, "cannot decode JPEG: unknown colour space");
    img.cmyk = space == JCS_CMYK || space == JCS_YCCK;
    cinfo->out_color_space = space == JCS_GRAYSCALE ? JCS_GRAYSCALE : img.cmyk ? JCS_CMYK : JCS_RGB;
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    // Refused at once rather than after decoding max_jpeg_scans scans (the monitor still counts).
    if (count_jpeg_scans(data, size, limits.max_jpeg_scans) > limits.max_jpeg_scans)
        too_many_scans(limits.max_jpeg_scans);
    jpeg_start_decompress(cinfo);  // a progressive file: reads every scan here
    img.width = int(w);
    img.height = int(h);
    img.channels = cinfo->output_components;
    const std::size_t row = w * std::size_t(img.channels);
    if (gray && !img.cmyk) {
        constexpr std::size_t kRows = 16;
        gray->width = img.width;
        gray->height = img.height;
        gray->pixels.resize(w * h);
        img.pixels.resize(row * kRows);
        JSAMPROW rows[kRows];
        for (std::size_t i = 0; i < kRows; ++i) rows[i] = img.pixels.data() + row * i;
        while (cinfo->output_scanline < cinfo->output_height) {
            const std::size_t y = cinfo->output_scanline;
            const std::size_t got = jpeg_read_scanlines(cinfo, rows, JDIMENSION(kRows));
            for (std::size_t i = 0; i < got; ++i) gray_row(rows[i], w, img.channels, &gray->pixels[(y + i) * w]);
        }
        img.pixels.clear();
    } else {
        img.pixels.resize(row * h);
        while (cinfo->output_scanline < cinfo->output_height) {
            JSAMPROW rows[1] = {img.pixels.data() + row * cinfo->output_scanline};
            jpeg_read_scanlines(cinfo, rows, 1);
        }
    }
    if (err.ran_out_of_data) fail(DI_ERR_DECODE, "cannot decode JPEG: file truncated (image data missing)");
    jpeg_finish_decompress(cinfo);  // may run out of data looking for EOI: Pillow accepts that too
    // Pillow reads CMYK JPEGs with rawmode "CMYK;I": it assumes Adobe's inverted
    // storage, which libjpeg hands over as stored.
    if (img.cmyk)
        for (uint8_t &v : img.pixels) v = uint8_t(255 - v);
}

}  // namespace

Image decode_jpeg(const uint8_t *data, std::size_t size, const DecodeLimits &limits) {
    Image img;
    decode_jpeg_into(data, size, limits, img, nullptr);
    return img;
}

GrayImage decode_jpeg_gray(const uint8_t *data, std::size_t size, const DecodeLimits &limits) {
    Image img;
    GrayImage gray;
    decode_jpeg_into(data, size, limits, img, &gray);
    return gray.pixels.empty() ? to_grayscale(std::move(img)) : gray;  // CMYK: through the colour image
}

}  // namespace digitinfer::core
