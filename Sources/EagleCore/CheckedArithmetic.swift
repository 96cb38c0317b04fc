/// Overflow-checked size arithmetic for file formats: a product or sum of counts from a file that overflows
/// is an error naming the field, never a wrap-around.
public enum CheckedArithmetic {
    public static func multiply(_ values: [Int], field: String, source: String) throws(BinaryFormatError) -> Int {
        var r = 1
        for v in values {
            guard v >= 0 else {
                throw BinaryFormatError(source: source, field: field, offset: 0, message: "negative size \(v)")
            }
            let (p, o) = r.multipliedReportingOverflow(by: v)
            if o { throw BinaryFormatError(source: source, field: field, offset: 0, message: "size \(values) overflows") }
            r = p
        }
        return r
    }

    public static func add(_ a: Int, _ b: Int, field: String, source: String) throws(BinaryFormatError) -> Int {
        let (s, o) = a.addingReportingOverflow(b)
        if o { throw BinaryFormatError(source: source, field: field, offset: 0, message: "\(a) + \(b) overflows") }
        return s
    }

    /// `value` rounded up to a multiple of `alignment` (> 0).
    public static func alignUp(_ value: Int, to alignment: Int, field: String, source: String) throws(BinaryFormatError) -> Int {
        let rem = value % alignment
        return rem == 0 ? value : try add(value, alignment - rem, field: field, source: source)
    }
}
