// Tokenization module (in progress)
