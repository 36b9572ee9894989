using Approvals.Core.Settings;
using Approvals.Local.Actions;

namespace Approvals.Local.Hosting;

/// <summary>The local host's own settings: where its state lives and its test and benchmark knobs.</summary>
public sealed class LocalHostSettings : SettingsOptions
{
    public const string DataDirectorySetting = "APPROVALS_DATA_DIR";
    public const string AttemptTimeoutSetting = "APPROVALS_INDENT_ATTEMPT_TIMEOUT_SECONDS";

    /// <summary><c>APPROVALS_DATA_DIR</c>, or <c>null</c> for the default under the user's state directory.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>How long one Indent call may take (outage tests and benchmarks shorten it); <c>null</c>: the client's default.</summary>
    public TimeSpan? IndentAttemptTimeout { get; set; }

    /// <summary>Simulated latency of the local directory's write (crash tests widen the "during the action" window).</summary>
    public TimeSpan DirectoryLatency { get; set; } = TimeSpan.Zero;

    /// <summary>The crash tests' fault point after the directory write (see <see cref="FileUserDirectory.LatencyAfterWriteSetting"/>).</summary>
    public TimeSpan DirectoryLatencyAfterWrite { get; set; } = TimeSpan.Zero;

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        DataDirectory = reader.Text(DataDirectorySetting);
        if (reader.Text(AttemptTimeoutSetting) is not null)
        {
            IndentAttemptTimeout = TimeSpan.FromSeconds(reader.WholeNumber(AttemptTimeoutSetting, 15, 1, 600));
        }

        DirectoryLatency = TimeSpan.FromMilliseconds(reader.WholeNumber(FileUserDirectory.LatencySetting, 0, 0, 600_000, "milliseconds"));
        DirectoryLatencyAfterWrite = TimeSpan.FromMilliseconds(reader.WholeNumber(FileUserDirectory.LatencyAfterWriteSetting, 0, 0, 600_000, "milliseconds"));
    }
}
