// DraftVocabulary module (in progress)
