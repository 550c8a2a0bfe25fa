// GET /: the drawing page, embedded in the binary at build time (page/index.html).
#include "inference_api.hpp"
#include "page_html.hpp"
#include "responses.hpp"

namespace server::api {

http::Response page_response() {
    http::Response response = text_response(status::ok, std::string(kPageHtml), "text/html; charset=utf-8");
    response.set(http::beast_http::field::cache_control, "no-cache");
    // The page is self-contained: forbid everything else it could be made to load.
    response.set("Content-Security-Policy",
                 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                 "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'");
    response.set("X-Content-Type-Options", "nosniff");
    return response;
}

}  // namespace server::api
