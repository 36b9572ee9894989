using Approvals.Core.Settings;

namespace Approvals.Core.People;

/// <summary>Who may grant without being a directory person: Indent auto-approval rules or bots, by the identifier
/// Indent records as the approve event's actor (its id or email). None by default — every grant must then come from
/// exactly one enabled directory person who is neither the requester nor the target.</summary>
public sealed class FourEyesOptions : SettingsOptions
{
    public const string AutoApproversSetting = "APPROVALS_AUTO_APPROVERS";

    public IReadOnlyList<string> AutoApprovers { get; set; } = [];

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        AutoApprovers = Secrets.SecretLists.Split(reader.Text(AutoApproversSetting)).Select(a => a.Trim()).Where(a => a.Length > 0).ToList();
        if (AutoApprovers.Any(a => a.Length > ApproverResolver.MaxIdentifierLength))
        {
            reader.Problem($"{AutoApproversSetting} lists an identifier longer than {ApproverResolver.MaxIdentifierLength} characters; list Indent actor ids or emails, comma-separated.");
        }
    }
}
