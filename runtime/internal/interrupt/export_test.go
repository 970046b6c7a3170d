package interrupt

// Fixtures gives the external tests the fixture loader.
var Fixtures = fixtures
