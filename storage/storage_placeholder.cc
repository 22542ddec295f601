namespace assay::storage {}
