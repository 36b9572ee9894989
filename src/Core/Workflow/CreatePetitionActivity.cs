using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Creates the Indent petition for a workflow. Idempotent: the petition's request id is the instance id,
/// so a retried activity finds the petition its first attempt created instead of making another.</summary>
public sealed class CreatePetitionActivity(IndentClient indent, ISecretProvider secrets, ILogger<CreatePetitionActivity> logger)
    : TaskActivity<CreatePetitionInput, PetitionRef>
{
    public override async Task<PetitionRef> RunAsync(TaskActivityContext context, CreatePetitionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var token = await secrets.GetSecretAsync(IndentOptions.TokenSetting);
        var subject = IndentToken.TryGetSubject(token);
        var petitioner = subject is null
            ? new Resource { Kind = "service", Id = "approvals", DisplayName = "Approvals" }
            : new Resource { Kind = "user", Id = subject, Email = subject.Contains('@') ? subject : null };
        var labels = new Dictionary<string, string>
        {
            [WorkflowLabels.Instance] = input.InstanceId,
            [WorkflowLabels.User] = input.UserId,
            [WorkflowLabels.Action] = input.Action,
        };
        var petition = new Petition
        {
            Petitioners = [petitioner],
            Resources =
            [
                new Resource
                {
                    Kind = "action",
                    Id = $"{input.Action}:{input.UserId}",
                    DisplayName = $"Reset Password (user:{input.UserId})",
                    Labels = labels,
                },
            ],
            Reason = input.Reason,
            Meta = new ObjectMeta { Labels = new Dictionary<string, string>(labels) { [IndentLabels.RequestId] = input.InstanceId } },
        };

        var created = await IndentCalls.StopRetryingOnRefusal(() => indent.CreatePetitionAsync(petition));
        logger.LogInformation("Petition {Petition} created for approval {InstanceId}", created.Name, input.InstanceId);
        return new PetitionRef(created.Name ?? throw new PermanentActivityFailureException("Indent created a petition without a name."), indent.Space);
    }
}
