/** Builds customer/ for H5 with examples/uni-app's toolchain; returns customer/dist/build/h5. */
export declare function buildCustomer(): string
