using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.People;
using Microsoft.DurableTask;

namespace Approvals.Core.Step;

/// <summary>The approval step's requester as the directory knows them: exactly one enabled directory person, whose
/// object id four eyes then compares with the approver's (<see cref="Workflow.FourEyes"/>). A caller may name the
/// requester by object id, user principal name or mail; every identifier given is looked up the way an approver's is
/// (<see cref="ApproverResolver"/>), so an address names the same person an approval by that address would.</summary>
public sealed class ResolveRequesterActivity(ApproverResolver resolver, IPeopleDirectory people) : TaskActivity<Requester, RequesterResolution>
{
    public override async Task<RequesterResolution> RunAsync(TaskActivityContext context, Requester input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var check = await resolver.ResolveAsync(new Resource
        {
            Kind = "user",
            Id = input.Id,
            Email = input.Email?.Contains('@', StringComparison.Ordinal) == true ? input.Email : null,
        });
        var named = $"the requester ({check.Shown})";
        if (check.Problem is { } problem)
        {
            return RequesterResolution.Refused($"{named} cannot be looked up: {problem}");
        }

        if (check.PersonIds is not [var id])
        {
            return RequesterResolution.Refused(check.PersonIds.Count == 0
                ? $"{named} is not a person of the directory"
                : $"{named} names {check.PersonIds.Count} directory people");
        }

        if (check.DisabledIds is { Count: > 0 })
        {
            return RequesterResolution.Refused($"{named} is disabled in the directory");
        }

        // What is shown (the petitioner Indent shows the approver) comes from the directory too, not from the caller.
        var person = await people.FindUserAsync(id);
        if (person is not { Enabled: true })
        {
            return RequesterResolution.Refused($"{named} is not an enabled person of the directory");
        }

        return new RequesterResolution(new Requester(person.Id, person.Mail ?? person.UserPrincipalName ?? input.Email ?? "", person.DisplayName ?? input.Name), null);
    }
}

/// <summary>What <see cref="ResolveRequesterActivity"/> found: the requester as one enabled directory person (by object
/// id), or why there is none.</summary>
public sealed record RequesterResolution(Requester? Person, string? Refusal)
{
    public static RequesterResolution Refused(string why) => new(null, why);
}
