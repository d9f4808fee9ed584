"""Pure rules over text: themes (tagging), same-story grouping (clustering), search."""
