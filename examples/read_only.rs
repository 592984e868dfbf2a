use std::ops::ControlFlow;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut n = 0u64;
    let mut bytes = 0u64;
    let decode = std::env::args().nth(2).is_some();
    let mut tcp = 0u64;
    labcap::source::FileSource::open(std::path::Path::new(&path))
        .unwrap()
        .for_each_frame(&mut |f| {
            n += 1;
            bytes += f.data.len() as u64;
            if decode {
                let p = labcap::wire::decode(&f);
                if p.tcp().is_some() {
                    tcp += 1;
                }
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    println!("{n} {bytes} {tcp}");
}
