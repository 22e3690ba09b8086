"""HTTP front of dlocr: answers like Huawei Cloud OCR's driver-license API."""
