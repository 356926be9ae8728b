"""Hidden suites of assignment 1: knn, svm, softmax."""
