package pricing

import (
	"errors"
	"fmt"
	"strings"
)

// Price is a price in nano-USD (1e-9 USD) per 1,000,000 tokens. Prices are
// kept as integers so that costs are exact sums of exact products: a table
// value such as 0.075 has no exact float64 form, but it is exactly 75,000,000
// nano-USD per MTok. A cost is then tokens * Price femto-USD (1e-15 USD).
type Price int64

// nanoDigits is how many decimal places a price may have in the table.
const nanoDigits = 9

// multiplierDigits is how many decimal places a modifier multiplier may have.
const multiplierDigits = 6

var errNotDecimal = errors.New("not a plain decimal number")

// parseFixed parses a non-negative plain decimal ("2.50", "10", "0.075") into
// an integer scaled by 10^digits, exactly. Exponents, signs and more than
// `digits` decimal places are rejected rather than rounded, so the table says
// exactly what is charged.
func parseFixed(s string, digits int) (int64, error) {
	if s == "" {
		return 0, errNotDecimal
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") {
		return 0, errNotDecimal
	}
	if len(frac) > digits {
		return 0, fmt.Errorf("has more than %d decimal places", digits)
	}
	var v int64
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, errNotDecimal
			}
			if v > (1<<62)/10 {
				return 0, errors.New("is too large")
			}
			v = v*10 + int64(c-'0')
		}
	}
	for i := len(frac); i < digits; i++ {
		if v > (1<<62)/10 {
			return 0, errors.New("is too large")
		}
		v *= 10
	}
	return v, nil
}

// parsePrice parses a USD-per-MTok decimal into a Price.
func parsePrice(s string) (Price, error) {
	v, err := parseFixed(s, nanoDigits)
	return Price(v), err
}

// String renders a price as a USD-per-MTok decimal without trailing zeros.
func (p Price) String() string {
	s := fmt.Sprintf("%d.%09d", int64(p)/1e9, int64(p)%1e9)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// scale multiplies a price by a multiplier given in millionths, rounding half
// up to the nearest nano-USD per MTok (1e-15 USD per token: far below a cent
// on any real request).
// The split into whole and fractional multiplier keeps every product inside
// int64 for prices up to maxPrice.
func (p Price) scale(multiplierMicro int64) Price {
	whole, frac := multiplierMicro/1_000_000, multiplierMicro%1_000_000
	return Price(int64(p)*whole + (int64(p)*frac+500_000)/1_000_000)
}

// maxPrice bounds table prices (USD 5,000 per MTok, far above any real model)
// so that scaling and cost products cannot overflow.
const maxPrice = Price(5_000 * 1e9)

// maxMultiplier bounds modifier multipliers (x100) for the same reason.
const maxMultiplier = 100 * 1_000_000
