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
//!
//! Only the heap: the process-wide switch (`PR_SET_THP_DISABLE`) would also
//! keep the kernel from mapping the capture file 2 MiB at a time where its
//! page cache holds 2 MiB folios (a capture read from disk, not one just
//! written), and each 2 MiB of the file would take 512 page-table entries
//! to map ahead and to release behind: bench capture in 2 MiB folios,
//! paired one-thread rounds 0.975 and 0.952 (90 %: 0.956-0.981 and
//! 0.928-0.982, 21 each) of the switch's time. So the heap's own mappings
//! are marked instead where the kernel gives huge pages only to memory
//! that asks (`madvise` mode).

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

/// When the kernel gives anonymous memory transparent huge pages: its
/// `enabled` setting, the word in brackets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HugePageMode {
    Always,
    /// Only to mappings marked with `madvise(MADV_HUGEPAGE)`.
    Madvise,
    Never,
}

/// The kernel's huge page mode, as the kernel under `sys` shows it.
fn huge_page_mode(sys: &Path) -> Option<HugePageMode> {
    let text = std::fs::read_to_string(sys.join("kernel/mm/transparent_hugepage/enabled")).ok()?;
    let chosen = text.split_whitespace().find_map(|word| {
        word.strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
    })?;
    match chosen {
        "always" => Some(HugePageMode::Always),
        "madvise" => Some(HugePageMode::Madvise),
        "never" => Some(HugePageMode::Never),
        _ => None,
    }
}

/// Keeps the heap in 4 KiB pages where huge pages would come back from
/// the host (see the module). mimalloc's own `MIMALLOC_ALLOW_THP`, when
/// set, has the last word either way.
pub fn keep_heap_in_small_pages_under_reporting() {
    #[cfg(target_os = "linux")]
    {
        let sys = Path::new("/sys");
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() || !huge_pages_come_back_from_host(sys)
        {
            return;
        }
        match huge_page_mode(sys) {
            Some(HugePageMode::Madvise | HugePageMode::Never) => heap_mappings_in_small_pages(),
            // Unmarked memory gets huge pages too (or the mode is unknown):
            // only the process's own flag covers every later heap mapping
            // (each later fault takes a 4 KiB page); nothing to do if the
            // kernel refuses.
            Some(HugePageMode::Always) | None => {
                let _ = nix::sys::prctl::set_thp_disable(true);
            }
        }
    }
}

/// mimalloc's `allow_thp` option: its place in mimalloc's option table
/// (`mi_option_allow_thp` in mimalloc.h of the v2 sources that
/// libmimalloc-sys 0.1.49 builds; the sys crate names no constant for it).
/// Off, mimalloc no longer asks for huge pages for the memory it maps.
#[cfg(target_os = "linux")]
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 37;

#[cfg(target_os = "linux")]
extern "C" {
    /// mimalloc's `mi_arena_area` (mimalloc.h): start and size of the arena
    /// with the given id (ids count from 1), or null where there is none.
    /// Linked from libmimalloc-sys, which does not declare it.
    fn mi_arena_area(arena_id: std::os::raw::c_int, size: *mut usize) -> *mut std::ffi::c_void;
}

/// Stops mimalloc asking for huge pages from now on, and takes the request
/// back from the arenas it reserved (and asked them for) before `main`.
/// Pages already faulted in stay as they are (the runtime's first
/// allocations: at most one huge page).
#[cfg(target_os = "linux")]
fn heap_mappings_in_small_pages() {
    // SAFETY: `mi_option_set` stores a number in mimalloc's option table
    // and may be called at any time; the index is checked by a test below.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0)
    };
    for id in 1.. {
        let mut size = 0usize;
        // SAFETY: `mi_arena_area` only reads mimalloc's arena table and
        // writes the size through the pointer given, a live local.
        #[allow(unsafe_code)]
        let start = unsafe { mi_arena_area(id, &mut size) };
        let Some(start) = std::ptr::NonNull::new(start) else {
            break;
        };
        // SAFETY: MADV_NOHUGEPAGE only changes which page size later faults
        // of the range take; it neither frees nor moves memory, so every
        // allocation in the arena keeps its contents.
        #[allow(unsafe_code)]
        let _ = unsafe {
            nix::sys::mman::madvise(start, size, nix::sys::mman::MmapAdvise::MADV_NOHUGEPAGE)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `/sys` holding the files given (path under `/sys`, text).
    fn sys_of(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (relative, text) in files {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    /// A `/sys` holding the two files the reporting decision reads.
    fn sys_with(reporting: Option<&str>, huge: Option<&str>) -> tempfile::TempDir {
        let files: Vec<(&str, &str)> = [
            (
                "module/page_reporting/parameters/page_reporting_order",
                reporting,
            ),
            ("kernel/mm/transparent_hugepage/hpage_pmd_size", huge),
        ]
        .into_iter()
        .filter_map(|(path, text)| Some((path, text?)))
        .collect();
        sys_of(&files)
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
    fn huge_page_mode_is_the_bracketed_word() {
        for (text, mode) in [
            ("always [madvise] never\n", Some(HugePageMode::Madvise)),
            ("[always] madvise never\n", Some(HugePageMode::Always)),
            ("always madvise [never]\n", Some(HugePageMode::Never)),
            ("always madvise never\n", None),
            ("[sometimes]\n", None),
            ("", None),
        ] {
            let sys = sys_of(&[("kernel/mm/transparent_hugepage/enabled", text)]);
            assert_eq!(huge_page_mode(sys.path()), mode, "{text:?}");
        }
        let empty = tempfile::tempdir().expect("temp dir");
        assert_eq!(huge_page_mode(empty.path()), None);
    }

    /// The option at `MI_OPTION_ALLOW_THP` is `allow_thp`: the last of
    /// mimalloc's table, on by default on Linux, after `generic_collect`
    /// (default 10,000), as in mimalloc.h. Read before any run sets it.
    #[cfg(target_os = "linux")]
    #[test]
    fn allow_thp_option_is_where_mimalloc_keeps_it() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some()
            || std::env::var_os("MIMALLOC_GENERIC_COLLECT").is_some()
        {
            eprintln!("skipped: a mimalloc variable is set");
            return;
        }
        // SAFETY: reading options only.
        #[allow(unsafe_code)]
        let (before, at) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP - 1),
                libmimalloc_sys::mi_option_get(MI_OPTION_ALLOW_THP),
            )
        };
        assert_eq!((before, at), (10_000, 1));
    }

    /// mimalloc's first arena is there (the test harness has allocated),
    /// and the declaration of `mi_arena_area` reads it.
    #[cfg(target_os = "linux")]
    #[test]
    fn first_arena_has_an_area() {
        let kept: Vec<u64> = (0..1000).collect();
        let mut size = 0usize;
        // SAFETY: as in `heap_mappings_in_small_pages`.
        #[allow(unsafe_code)]
        let start = unsafe { mi_arena_area(1, &mut size) };
        assert!(!start.is_null());
        assert!(size >= 1 << 20, "{size}");
        assert_eq!(kept.len(), 1000);
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
