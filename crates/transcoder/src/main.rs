//! Command-line front end (temporary smoke driver).
use std::path::Path;
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let profiles = streamflow_transcoder::profile::presets_from_names(&args[2])?;
    let r = streamflow_transcoder::transcode::transcode_segment(
        Path::new(&args[1]),
        &profiles,
        Path::new(&args[3]),
        &Default::default(),
    )?;
    println!("{}", serde_json::to_string_pretty(&r)?);
    Ok(())
}
