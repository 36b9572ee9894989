using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Approvals.Core.Workflow;

/// <summary>Workflow timing, read once at start by the HTTP starter and carried in each orchestration's input.</summary>
public sealed class WorkflowOptions
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

    public static WorkflowOptions FromConfiguration(IConfiguration configuration)
    {
        var options = new WorkflowOptions();
        options.PollInitialSeconds = Read(configuration, PollInitialSetting, options.PollInitialSeconds, 1, 3600);
        options.PollMaxSeconds = Read(configuration, PollMaxSetting, options.PollMaxSeconds, options.PollInitialSeconds, 86_400);
        options.MaxDeadlineSeconds = Read(configuration, MaxDeadlineSetting, options.MaxDeadlineSeconds, MinDeadlineSeconds, 31 * 86_400);
        options.DefaultDeadlineSeconds = Read(configuration, DefaultDeadlineSetting, Math.Min(options.DefaultDeadlineSeconds, options.MaxDeadlineSeconds), MinDeadlineSeconds, options.MaxDeadlineSeconds);
        return options;
    }

    static int Read(IConfiguration configuration, string setting, int fallback, int min, int max)
    {
        var text = configuration[setting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"{setting} must be a whole number of seconds from {min} to {max}.");
        }

        return value;
    }
}
