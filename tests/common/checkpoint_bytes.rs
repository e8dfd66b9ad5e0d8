//! A checkpoint file's sections, taken apart and put back with a valid checksum (as anyone
//! editing a file can), for the tests that feed the loader edited files.

/// The three sections of a checkpoint file: card, parameters, optimizer.
pub fn sections(bytes: &[u8]) -> [Vec<u8>; 3] {
    let mut rest = &bytes[8..bytes.len() - 4];
    [(); 3].map(|_| {
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
        let section = rest[8..8 + len].to_vec();
        rest = &rest[8 + len..];
        section
    })
}

/// A checkpoint file of these sections, with a valid checksum.
pub fn encode(sections: &[Vec<u8>; 3]) -> Vec<u8> {
    let mut out = b"KNVCKPT1".to_vec();
    for s in sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out
}
