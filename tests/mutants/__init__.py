"""Known-wrong and correct-but-different submissions used to test the graders."""
