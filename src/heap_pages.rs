//! Whether the heap may live in 2 MiB transparent huge pages.
//!
//! On a virtual machine whose kernel hands free memory back to the
//! hypervisor (free page reporting: virtio-balloon, Hyper-V), the blocks it
//! reports are those of at least `page_reporting_order`, 2 MiB on x86-64,
//! and a huge page is one such block: each huge page the heap first writes
//! has to be backed by the host again, 2 MiB at a time, while 4 KiB pages
//! come from smaller free blocks that were never handed back. Measured on
//! this project's machines (order 9, 2 MiB huge pages), first writes to 40
//! MiB after a 3 s pause: 84–107 ms in huge pages, 16–18 ms in 4 KiB pages;
//! a run over the bench capture spent 0.16–0.22 s in the kernel with huge
//! pages and 0.06–0.10 s without. Elsewhere huge pages stay: they cover the
//! flow and knowledge tables with few TLB entries.

use std::path::Path;

/// Size of the base page the orders count in: x86-64's. On a kernel with
/// larger base pages the huge page's order comes out too high by the
/// difference, so reporting of blocks up to that much larger than a huge
/// page would also keep the heap in small pages.
const BASE_PAGE_BYTES: u64 = 4096;

/// The order (a power of two of base pages) from which free blocks are
/// reported to the hypervisor, if a reporting device is registered: the
/// kernel shows `u32::MAX` (-1) until one is.
fn reporting_order(sys: &Path) -> Option<u32> {
    let text =
        std::fs::read_to_string(sys.join("module/page_reporting/parameters/page_reporting_order"))
            .ok()?;
    text.trim().parse::<u32>().ok().filter(|&order| order < 64)
}

/// The order of a transparent huge page (9 for 2 MiB over 4 KiB pages), if
/// the kernel has them.
fn huge_page_order(sys: &Path) -> Option<u32> {
    let text =
        std::fs::read_to_string(sys.join("kernel/mm/transparent_hugepage/hpage_pmd_size")).ok()?;
    let bytes = text.trim().parse::<u64>().ok()?;
    (bytes >= BASE_PAGE_BYTES && bytes.is_power_of_two())
        .then(|| (bytes / BASE_PAGE_BYTES).trailing_zeros())
}

/// Whether a free huge page is likely one the host has taken back, as the
/// kernel under `sys` (normally `/sys`) describes itself.
pub fn huge_pages_come_back_from_host(sys: &Path) -> bool {
    matches!(
        (reporting_order(sys), huge_page_order(sys)),
        (Some(reported), Some(huge)) if reported <= huge
    )
}

/// Keeps the heap in 4 KiB pages where huge pages would come back from
/// the host (see the module). mimalloc's own `MIMALLOC_ALLOW_THP`, when
/// set, has the last word either way.
pub fn keep_heap_in_small_pages_under_reporting() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none()
        && huge_pages_come_back_from_host(Path::new("/sys"))
    {
        // The process's own flag (every later fault of its heap takes a
        // 4 KiB page); nothing to do if the kernel refuses.
        let _ = nix::sys::prctl::set_thp_disable(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `/sys` holding the two files the decision reads.
    fn sys_with(reporting: Option<&str>, huge: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let put = |relative: &str, text: &str| {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        if let Some(text) = reporting {
            put(
                "module/page_reporting/parameters/page_reporting_order",
                text,
            );
        }
        if let Some(text) = huge {
            put("kernel/mm/transparent_hugepage/hpage_pmd_size", text);
        }
        dir
    }

    #[test]
    fn reporting_at_the_huge_page_order_keeps_small_pages() {
        let sys = sys_with(Some("9\n"), Some("2097152\n"));
        assert!(huge_pages_come_back_from_host(sys.path()));
    }

    #[test]
    fn no_reporting_device_keeps_huge_pages() {
        // The parameter reads -1 (as unsigned) until a device registers.
        let sys = sys_with(Some("4294967295\n"), Some("2097152\n"));
        assert!(!huge_pages_come_back_from_host(sys.path()));
    }

    #[test]
    fn reporting_only_larger_blocks_keeps_huge_pages() {
        let sys = sys_with(Some("10\n"), Some("2097152\n"));
        assert!(!huge_pages_come_back_from_host(sys.path()));
    }

    #[test]
    fn missing_or_odd_files_keep_huge_pages() {
        for (reporting, huge) in [
            (None, Some("2097152")),
            (Some("9"), None),
            (Some("nine"), Some("2097152")),
            (Some("9"), Some("3000000")),
            (None, None),
        ] {
            let sys = sys_with(reporting, huge);
            assert!(
                !huge_pages_come_back_from_host(sys.path()),
                "{reporting:?} {huge:?}"
            );
        }
    }
}
