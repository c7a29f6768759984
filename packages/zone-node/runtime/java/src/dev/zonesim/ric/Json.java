package dev.zonesim.ric;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON text to plain Java values and back (RFC 8259). Reading gives what Lambda's Java runtime
 * gives a handler whose input type is {@code Object}: objects become {@code LinkedHashMap<String,
 * Object>} (keys in document order), arrays {@code ArrayList<Object>}, strings {@code String},
 * integers {@code Integer}, {@code Long} or {@code BigInteger} (the smallest that holds them),
 * other numbers {@code Double}, and {@code Boolean} and {@code null}.
 *
 * <p>Typed binding (POJOs, generic fields) is {@link PojoReader}'s; this class knows no classes.
 */
final class Json {

    /** Deeper documents are refused (Jackson's default bound), so a hostile event cannot overflow the stack. */
    static final int MAX_DEPTH = 1000;

    private Json() {
    }

    /** Malformed JSON text; the message names the position. */
    static final class ParseException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ParseException(String message) {
            super(message);
        }
    }

    /** Parses one JSON document (surrounding whitespace allowed). */
    static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos < text.length()) throw p.error("Unexpected content after the JSON value");
        return v;
    }

    private static final class Parser {
        private final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        ParseException error(String what) {
            int line = 1;
            int col = 1;
            for (int i = 0; i < pos && i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            return new ParseException(what + " (line " + line + ", column " + col + ")");
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (pos >= s.length()) throw error("Unexpected end of input");
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object(depth + 1);
                case '[':
                    return array(depth + 1);
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("Unexpected character '" + c + "'");
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, pos)) throw error("Unexpected token");
            pos += word.length();
        }

        private Map<String, Object> object(int depth) {
            if (depth > MAX_DEPTH) throw error("JSON nested deeper than " + MAX_DEPTH + " levels");
            pos++;
            Map<String, Object> map = new LinkedHashMap<String, Object>();
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != '"') throw error("Expected a field name");
                String key = string();
                skipSpace();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("Expected ':'");
                pos++;
                skipSpace();
                map.put(key, value(depth));
                skipSpace();
                if (pos >= s.length()) throw error("Unexpected end of input in an object");
                char c = s.charAt(pos++);
                if (c == '}') return map;
                if (c != ',') {
                    pos--;
                    throw error("Expected ',' or '}'");
                }
            }
        }

        private List<Object> array(int depth) {
            if (depth > MAX_DEPTH) throw error("JSON nested deeper than " + MAX_DEPTH + " levels");
            pos++;
            List<Object> list = new ArrayList<Object>();
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipSpace();
                list.add(value(depth));
                skipSpace();
                if (pos >= s.length()) throw error("Unexpected end of input in an array");
                char c = s.charAt(pos++);
                if (c == ']') return list;
                if (c != ',') {
                    pos--;
                    throw error("Expected ',' or ']'");
                }
            }
        }

        private String string() {
            int start = ++pos;
            // Fast path: no escapes.
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    return s.substring(start, pos++);
                }
                if (c == '\\') break;
                pos++;
            }
            StringBuilder sb = new StringBuilder(s.length() - start < 64 ? 16 : 64);
            sb.append(s, start, pos);
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') return sb.toString();
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (pos >= s.length()) break;
                char e = s.charAt(pos++);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u':
                        if (pos + 4 > s.length()) throw error("Truncated \\u escape");
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(s.charAt(pos++), 16);
                            if (d < 0) throw error("Invalid \\u escape");
                            code = code * 16 + d;
                        }
                        sb.append((char) code);
                        break;
                    default:
                        pos--;
                        throw error("Invalid escape '\\" + e + "'");
                }
            }
            throw error("Unterminated string");
        }

        private Object number() {
            int start = pos;
            boolean integral = true;
            if (s.charAt(pos) == '-') pos++;
            int digits = pos;
            while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
            if (pos == digits) throw error("Expected a digit");
            if (pos < s.length() && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                int frac = pos;
                while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
                if (pos == frac) throw error("Expected a digit after '.'");
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                int exp = pos;
                while (pos < s.length() && isDigit(s.charAt(pos))) pos++;
                if (pos == exp) throw error("Expected a digit in the exponent");
            }
            String text = s.substring(start, pos);
            if (!integral) return Double.valueOf(text);
            return integer(text);
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    /** The smallest of Integer, Long and BigInteger that holds {@code text} (Jackson's rule for untyped values). */
    static Number integer(String text) {
        int len = text.length();
        if (len <= 9 || (len == 10 && text.charAt(0) == '-')) return Integer.valueOf(text);
        if (len <= 18 || (len == 19 && text.charAt(0) == '-')) {
            long v = Long.parseLong(text);
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) return Integer.valueOf((int) v);
            return Long.valueOf(v);
        }
        BigInteger big = new BigInteger(text);
        if (big.bitLength() <= 31) return Integer.valueOf(big.intValue());
        if (big.bitLength() <= 63) return Long.valueOf(big.longValue());
        return big;
    }

    /** Appends {@code s} as a JSON string: quotes, backslashes and control characters escaped, the rest as is. */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        int len = s.length();
        int run = 0;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            sb.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                default:
                    sb.append("\\u00");
                    sb.append(Character.forDigit(c >> 4, 16));
                    sb.append(Character.forDigit(c & 0xf, 16));
            }
        }
        sb.append(s, run, len);
        sb.append('"');
    }
}
