import Foundation

/// A naive local date and time, as Python's `datetime.now()` gives `strftime_now`.
public struct TemplateDate: Sendable, Equatable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The current local time.
    public static func now() -> TemplateDate {
        let c = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date())
        return TemplateDate(year: c.year!, month: c.month!, day: c.day!, hour: c.hour!, minute: c.minute!, second: c.second!)
    }

    /// Days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// 0 = Sunday … 6 = Saturday (C's `tm_wday`).
    var weekday: Int { ((daysSinceEpoch % 7) + 11) % 7 }

    var isLeapYear: Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// 1-based day of the year.
    var dayOfYear: Int {
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        return cumulative[month - 1] + day + (isLeapYear && month > 2 ? 1 : 0)
    }
}

/// Python's `datetime.strftime` (glibc, C locale) for the directives chat templates use.
enum Strftime {
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ format: String, _ date: TemplateDate) throws -> String {
        guard (1...12).contains(date.month), (1...31).contains(date.day) else {
            throw TemplateError.runtime("invalid date \(date.year)-\(date.month)-\(date.day)")
        }
        var out = ""
        var it = format.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard var d = it.next() else { out += "%"; break }
            var unpadded = false
            if d == "-" {
                unpadded = true
                guard let e = it.next() else { out += "%-"; break }
                d = e
            }
            func num(_ v: Int, _ width: Int) -> String {
                let s = String(v)
                return unpadded ? s : String(repeating: "0", count: max(0, width - s.count)) + s
            }
            let hour12 = date.hour % 12 == 0 ? 12 : date.hour % 12
            switch d {
            case "d": out += num(date.day, 2)
            case "e": out += unpadded ? String(date.day) : (date.day < 10 ? " " : "") + String(date.day)
            case "m": out += num(date.month, 2)
            case "y": out += num(date.year % 100, 2)
            case "Y": out += String(date.year)
            case "H": out += num(date.hour, 2)
            case "I": out += num(hour12, 2)
            case "M": out += num(date.minute, 2)
            case "S": out += num(date.second, 2)
            case "p": out += date.hour < 12 ? "AM" : "PM"
            case "j": out += num(date.dayOfYear, 3)
            case "b", "h": out += String(monthNames[date.month - 1].prefix(3))
            case "B": out += monthNames[date.month - 1]
            case "a": out += String(dayNames[date.weekday].prefix(3))
            case "A": out += dayNames[date.weekday]
            case "w": out += String(date.weekday)
            case "u": out += String(date.weekday == 0 ? 7 : date.weekday)
            case "F": out += "\(date.year)-\(num(date.month, 2))-\(num(date.day, 2))"
            case "D": out += "\(num(date.month, 2))/\(num(date.day, 2))/\(num(date.year % 100, 2))"
            case "T": out += "\(num(date.hour, 2)):\(num(date.minute, 2)):\(num(date.second, 2))"
            case "R": out += "\(num(date.hour, 2)):\(num(date.minute, 2))"
            case "Z", "z": break  // naive datetime: empty
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            default:
                throw TemplateError.unsupported("strftime %\(d)", "the strftime directive %\(unpadded ? "-" : "")\(d) is not supported")
            }
        }
        return out
    }
}
