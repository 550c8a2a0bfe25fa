#include "torch/pickle_scan.hpp"

#include <cstdint>

namespace digitinfer::core {
namespace {

enum class Arg { none, fixed, length, line, two_lines, memo_id };

struct Opcode {
    Arg arg = Arg::none;
    unsigned width = 0;  // bytes of the fixed argument, or of the length or memo-id field
};

// Every opcode of pickle protocols 0-5 and the size of its argument.
Opcode opcode(unsigned char op, bool &known) {
    known = true;
    switch (op) {
    case '(': case '.': case '0': case '1': case '2': case 'N': case 0x88: case 0x89: case ')': case 't':
    case 0x85: case 0x86: case 0x87: case '}': case 'd': case ']': case 'l': case 'a': case 'e': case 's':
    case 'u': case 'b': case 'R': case 0x81: case 0x92: case 0x93: case 0x94: case 'Q': case 'o': case 0x8f:
    case 0x90: case 0x91: case 0x97: case 0x98:
        return {};
    case 'K': case 0x80: case 'h': case 0x82: return {Arg::fixed, 1};
    case 'M': case 0x83: return {Arg::fixed, 2};
    case 'J': case 'j': case 0x84: return {Arg::fixed, 4};
    case 'G': case 0x95: return {Arg::fixed, 8};
    case 'q': return {Arg::memo_id, 1};
    case 'r': return {Arg::memo_id, 4};
    case 'U': case 0x8c: case 'C': case 0x8a: return {Arg::length, 1};
    case 'T': case 'X': case 'B': case 0x8b: return {Arg::length, 4};
    case 0x8d: case 0x8e: case 0x96: return {Arg::length, 8};
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': case 'g': case 'p': return {Arg::line, 0};
    case 'c': case 'i': return {Arg::two_lines, 0};
    default: known = false; return {};
    }
}

uint64_t little_endian(std::string_view bytes) {
    uint64_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[i]);
    return value;
}

}  // namespace

std::string pickle_fault(std::string_view pickle) {
    std::size_t pos = 0;
    while (pos < pickle.size()) {
        const std::size_t at = pos;
        const unsigned char op = static_cast<unsigned char>(pickle[pos++]);
        bool known = false;
        const Opcode code = opcode(op, known);
        if (!known || op == '.') return "";
        const std::size_t left = pickle.size() - pos;
        const std::string where = "byte " + std::to_string(at) + ": ";
        switch (code.arg) {
        case Arg::none: break;
        case Arg::fixed:
            if (left < code.width) return where + "cut off";
            pos += code.width;
            break;
        case Arg::memo_id: {
            if (left < code.width) return where + "cut off";
            const uint64_t id = little_endian(pickle.substr(pos, code.width));
            if (id >= pickle.size())
                return where + "memo index " + std::to_string(id) + " in a pickle of " +
                       std::to_string(pickle.size()) + " bytes";
            pos += code.width;
            break;
        }
        case Arg::length: {
            if (left < code.width) return where + "cut off";
            uint64_t length = little_endian(pickle.substr(pos, code.width));
            if (op == 'T' || op == 0x8b) length = static_cast<uint64_t>(static_cast<int32_t>(length));  // signed
            pos += code.width;
            if (length > pickle.size() - pos)
                return where + "a length of " + std::to_string(length) + " bytes with " +
                       std::to_string(pickle.size() - pos) + " left";
            pos += static_cast<std::size_t>(length);
            break;
        }
        case Arg::line:
        case Arg::two_lines:
            for (int line = code.arg == Arg::line ? 1 : 2; line > 0; --line) {
                const std::size_t end = pickle.find('\n', pos);
                if (end == std::string_view::npos) return where + "cut off";
                pos = end + 1;
            }
            break;
        }
    }
    return "";
}

}  // namespace digitinfer::core
