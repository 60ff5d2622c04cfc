package forum

// SearchFinalists is how many candidates a search ranks by ts_rank_cd.
const SearchFinalists = searchFinalists

// SnippetMatches reports whether a search snippet marks word for a query
// whose tsquery text is tsquery, in the search configuration config.
func SnippetMatches(tsquery, config, word string) bool {
	return newSnippetMatcher(tsquery, config).matches(word)
}
