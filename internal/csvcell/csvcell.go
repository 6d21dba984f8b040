// Package csvcell keeps the text cells of Bursar's CSV exports from being read as formulas by a spreadsheet
// (CSV injection): a cell starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe.
package csvcell

import "strings"

// Text is s as a safe text cell.
func Text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
