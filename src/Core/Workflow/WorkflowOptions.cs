using Approvals.Core.Settings;

namespace Approvals.Core.Workflow;

/// <summary>Workflow timing, read once at start by the HTTP starter and carried in each orchestration's input.</summary>
public sealed class WorkflowOptions : SettingsOptions
{
    public const string PollInitialSetting = "APPROVALS_POLL_INITIAL_SECONDS";
    public const string PollMaxSetting = "APPROVALS_POLL_MAX_SECONDS";
    public const string DefaultDeadlineSetting = "APPROVALS_DEFAULT_DEADLINE_SECONDS";
    public const string MaxDeadlineSetting = "APPROVALS_MAX_DEADLINE_SECONDS";

    /// <summary>First poll after this many seconds; then 2×, 4× … up to <see cref="PollMaxSeconds"/>.</summary>
    public int PollInitialSeconds { get; set; } = 2;

    /// <summary>The poll interval's cap (the webhook is the fast path; polling is the fallback).</summary>
    public int PollMaxSeconds { get; set; } = 300;

    /// <summary>How long a request waits for a decision when it does not say: 24 hours.</summary>
    public int DefaultDeadlineSeconds { get; set; } = 86_400;

    /// <summary>The longest deadline a request may ask for: 7 days.</summary>
    public int MaxDeadlineSeconds { get; set; } = 604_800;

    public const int MinDeadlineSeconds = 5;

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        PollInitialSeconds = reader.WholeNumber(PollInitialSetting, PollInitialSeconds, 1, 3600);
        PollMaxSeconds = reader.WholeNumber(PollMaxSetting, Math.Max(PollMaxSeconds, PollInitialSeconds), PollInitialSeconds, 86_400);
        MaxDeadlineSeconds = reader.WholeNumber(MaxDeadlineSetting, MaxDeadlineSeconds, MinDeadlineSeconds, 31 * 86_400);
        DefaultDeadlineSeconds = reader.WholeNumber(DefaultDeadlineSetting, Math.Min(DefaultDeadlineSeconds, MaxDeadlineSeconds), MinDeadlineSeconds, MaxDeadlineSeconds);
    }
}
