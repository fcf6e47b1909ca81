"""The consultations log: visits, calls, letters and online questions staff answer (来访/来电/来信/网络)."""
