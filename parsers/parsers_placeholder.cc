namespace assay::parsers {}
