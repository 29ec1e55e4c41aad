//! What the kernel says about this process's mappings: `/proc/self/smaps` and `/proc/self/maps`.

/// One mapping of this process, as `/proc/self/smaps` describes it.
#[derive(Debug, Clone)]
pub struct Vma {
    /// First address.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
    /// Permissions, e.g. `rw-p` or `---s`.
    pub perms: String,
    /// `Locked:` in kB.
    pub locked_kb: u64,
    /// The two-letter `VmFlags` (`lo` locked, `dd` not dumped, `dc` not inherited by `fork`...).
    pub flags: Vec<String>,
}

impl Vma {
    /// Whether `VmFlags` has `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// All mappings of this process, from `/proc/self/smaps`.
pub fn mappings() -> Vec<Vma> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let mut vmas: Vec<Vma> = Vec::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-') {
            if let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) {
                vmas.push(Vma {
                    start,
                    end,
                    perms: words.next().unwrap_or("").to_owned(),
                    locked_kb: 0,
                    flags: Vec::new(),
                });
                continue;
            }
        }
        let Some(vma) = vmas.last_mut() else { continue };
        match first {
            "Locked:" => vma.locked_kb = words.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "VmFlags:" => vma.flags = words.map(str::to_owned).collect(),
            _ => {}
        }
    }
    vmas
}

/// The mapping that contains `addr`.
pub fn mapping_of(addr: usize) -> Vma {
    mappings()
        .into_iter()
        .find(|vma| vma.start <= addr && addr < vma.end)
        .unwrap_or_else(|| panic!("no mapping contains {addr:#x}"))
}

/// The mapping of `vmas` that contains `addr`, found by binary search: `vmas` must be sorted
/// by address, as [`mappings`] returns them. Used by `pooled`, `sealed`, `pooled_limits` and
/// `sealed_limits`, which look up many addresses in one reading of smaps.
pub fn vma_at(vmas: &[Vma], addr: usize) -> Option<&Vma> {
    let index = vmas.partition_point(|vma| vma.end <= addr);
    vmas.get(index).filter(|vma| vma.start <= addr)
}

/// How many mappings this process has (lines of `/proc/self/maps`).
pub fn mapping_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}
