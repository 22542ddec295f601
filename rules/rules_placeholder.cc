namespace assay::rules {}
