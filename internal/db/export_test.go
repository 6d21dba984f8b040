package db

// Current is current, for the tests in db_test.
var Current = current
