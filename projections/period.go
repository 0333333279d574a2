package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDateTime parses an RFC 3339 time, or a date in loc; endOfDay moves a
// date to the start of the next day (for inclusive ends).
func ParseDateTime(s string, loc *time.Location, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// ParsePeriod turns "2025", "2025-Q3" or "2025-07" into [from, to).
func ParsePeriod(s string, loc *time.Location) (time.Time, time.Time, error) {
	bad := fmt.Errorf("period %q: want a year (2025), a quarter (2025-Q3) or a month (2025-07)", s)
	y, rest, _ := strings.Cut(s, "-")
	year, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 {
		return time.Time{}, time.Time{}, bad
	}
	switch {
	case rest == "":
		from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(1, 0, 0), nil
	case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q') && rest[1] >= '1' && rest[1] <= '4':
		from := time.Date(year, time.Month(3*int(rest[1]-'1')+1), 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 3, 0), nil
	default:
		month, err := strconv.Atoi(rest)
		if err != nil || len(rest) != 2 || month < 1 || month > 12 {
			return time.Time{}, time.Time{}, bad
		}
		from := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 1, 0), nil
	}
}
