using Approvals.Core.Settings;

namespace Approvals.Core.Workflow;

/// <summary>Time-boxed access: which Indent resources this deployment can grant, as which group, and for how long.
/// The mapping lives in configuration, never in Indent's resource labels: whoever can edit resources in the Indent space
/// must not be able to point a requestable resource at a more powerful group.</summary>
public sealed class AccessOptions : SettingsOptions
{
    /// <summary><c>resourceId=groupId</c> pairs, comma-separated (e.g. <c>production=0b1c…</c>, an Entra group's object id).</summary>
    public const string GroupsSetting = "APPROVALS_ACCESS_GROUPS";
    public const string MinSecondsSetting = "APPROVALS_ACCESS_MIN_SECONDS";
    public const string MaxSecondsSetting = "APPROVALS_ACCESS_MAX_SECONDS";
    public const string DefaultSecondsSetting = "APPROVALS_ACCESS_DEFAULT_SECONDS";

    /// <summary>Indent resource id → the group whose membership grants it.</summary>
    public IReadOnlyDictionary<string, string> Groups { get; private set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The shortest access one may ask for: 1 minute.</summary>
    public int MinSeconds { get; set; } = 60;

    /// <summary>The longest: 8 hours, a working day.</summary>
    public int MaxSeconds { get; set; } = 28_800;

    /// <summary>When a request names no duration: 1 hour.</summary>
    public int DefaultSeconds { get; set; } = 3_600;

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        MinSeconds = reader.WholeNumber(MinSecondsSetting, MinSeconds, 1, 86_400);
        MaxSeconds = reader.WholeNumber(MaxSecondsSetting, Math.Max(MaxSeconds, MinSeconds), MinSeconds, 7 * 86_400);
        DefaultSeconds = reader.WholeNumber(DefaultSecondsSetting, Math.Clamp(DefaultSeconds, MinSeconds, MaxSeconds), MinSeconds, MaxSeconds);
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (reader.Text(GroupsSetting) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0 || !groups.TryAdd(parts[0], parts[1]))
            {
                reader.Problem($"{GroupsSetting} must be comma-separated resourceId=groupId pairs, each resource once (e.g. production=0b1c2d3e-…).");
                break;
            }
        }

        Groups = groups;
    }
}
